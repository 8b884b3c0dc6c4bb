// mlprim::ensemble: tree ensembles. Histogram gradient boosting with
// XGBoost's objective (GradientBoosting), quantile binning, TreeSHAP; CART
// trees, AdaBoost, bagging, random forests and extra trees, stacking and
// voting with scikit-learn's semantics, the linear models stacking uses, and
// cross-validation. XGBoost-JSON import/export lives in
// mlprim/ensemble/xgboost_json.hpp (it needs nlohmann/json) and is not
// included here.
#ifndef MLPRIM_ENSEMBLE_HPP
#define MLPRIM_ENSEMBLE_HPP

#include "mlprim/ensemble/adaboost.hpp"
#include "mlprim/ensemble/bagging.hpp"
#include "mlprim/ensemble/binning.hpp"
#include "mlprim/ensemble/cart_params.hpp"
#include "mlprim/ensemble/cart_tree.hpp"
#include "mlprim/ensemble/decision_tree.hpp"
#include "mlprim/ensemble/estimator.hpp"
#include "mlprim/ensemble/forest.hpp"
#include "mlprim/ensemble/gradient_boosting.hpp"
#include "mlprim/ensemble/linear_model.hpp"
#include "mlprim/ensemble/model_io.hpp"
#include "mlprim/ensemble/model_selection.hpp"
#include "mlprim/ensemble/params.hpp"
#include "mlprim/ensemble/sketch.hpp"
#include "mlprim/ensemble/stacking.hpp"
#include "mlprim/ensemble/tree.hpp"
#include "mlprim/ensemble/voting.hpp"

#endif  // MLPRIM_ENSEMBLE_HPP
