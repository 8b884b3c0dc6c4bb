#!/usr/bin/python3
"""Independent reference for tests/core/test_random.cpp.

Re-implements, from the published descriptions only, SplitMix64 (Steele, Lea &
Flood 2014), xoshiro256** (Blackman & Vigna 2021), the 53/24-bit uniform
conversions, Lemire's bounded integers and Marsaglia's polar method, and prints
the first draws of mlprim::Rng(42) that the C++ test pins. Python's integers
are exact, so nothing here shares rounding or overflow behaviour with C++.
Run: /usr/bin/python3 tests/data/core/random_golden.py
"""
import math

M64 = (1 << 64) - 1


def splitmix64(seed):
    state = seed & M64
    while True:
        state = (state + 0x9E3779B97F4A7C15) & M64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        yield z ^ (z >> 31)


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M64


class Xoshiro:
    def __init__(self, s):
        self.s = list(s)

    @classmethod
    def seeded(cls, seed):
        g = splitmix64(seed)
        return cls([next(g) for _ in range(4)])

    def next(self):
        s = self.s
        result = (rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def uniform_double(self):
        return (self.next() >> 11) / 2.0**53

    def uniform_float(self):
        return (self.next() >> 40) / 2.0**24

    def below(self, n):
        # Lemire's multiply-shift with rejection on the top 32 bits (n <= 2^32).
        threshold = (1 << 32) % n
        while True:
            product = (self.next() >> 32) * n
            if (product & 0xFFFFFFFF) >= threshold:
                return product >> 32

    def normal_pair(self):
        while True:
            u = 2.0 * self.uniform_double() - 1.0
            v = 2.0 * self.uniform_double() - 1.0
            s = u * u + v * v
            if 0.0 < s < 1.0:
                f = math.sqrt(-2.0 * math.log(s) / s)
                return u * f, v * f


if __name__ == "__main__":
    g = Xoshiro.seeded(42)
    print("raw:", [g.next() for _ in range(4)])
    g = Xoshiro.seeded(42)
    print("uniform_double:", [repr(g.uniform_double()) for _ in range(3)])
    g = Xoshiro.seeded(42)
    print("uniform_float:", [repr(g.uniform_float()) for _ in range(3)])
    g = Xoshiro.seeded(42)
    print("below(10):", [g.below(10) for _ in range(10)])
    g = Xoshiro.seeded(42)
    pairs = [g.normal_pair() for _ in range(2)]
    print("normal:", [repr(x) for p in pairs for x in p])
