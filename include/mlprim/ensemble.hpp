// mlprim::ensemble: tree ensembles. Histogram gradient boosting with
// XGBoost's objective (GradientBoosting), quantile binning, TreeSHAP.
// XGBoost-JSON import/export lives in mlprim/ensemble/xgboost_json.hpp (it
// needs nlohmann/json) and is not included here.
#ifndef MLPRIM_ENSEMBLE_HPP
#define MLPRIM_ENSEMBLE_HPP

#include "mlprim/ensemble/binning.hpp"
#include "mlprim/ensemble/gradient_boosting.hpp"
#include "mlprim/ensemble/params.hpp"
#include "mlprim/ensemble/tree.hpp"

#endif  // MLPRIM_ENSEMBLE_HPP
