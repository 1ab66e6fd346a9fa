#!/usr/bin/python3
"""Reference values for tests/test_stats.c, computed independently of lift's C code.

Each case simulates per-unit data with numpy (seeded), hands lift only the sums (a
`liftctl stats` request), and computes the expected results here from the raw arrays:
Welch tests with scipy.stats.ttest_ind, variances and covariances with numpy, multiple
comparisons with statsmodels, SRM with scipy.stats.chisquare, Bayesian expected loss by
numerical integration, Student-t quantiles with mpmath at 50 digits (scipy 1.10's
t.isf is off by up to 4e-9 at df 31, more than the 1e-9 tolerance of the tests), and
Student-t far tails (down to and past 1e-300) by integrating the t density at 50 digits.

Regenerate with Debian's python3-scipy, python3-statsmodels and python3-mpmath:
    /usr/bin/python3 tests/ref/stats_ref.py > tests/ref/stats-ref.json
"""
import json
import math

import mpmath
import numpy as np
import scipy
import statsmodels
from scipy import integrate, optimize, stats
from statsmodels.stats.multitest import multipletests

mpmath.mp.dps = 50


def t_sf(t, df):
    """P(T > t), exact to 50 digits."""
    t, df = mpmath.mpf(t), mpmath.mpf(df)
    if t < 0:
        return 1 - t_sf(-t, df)
    return float(mpmath.betainc(df / 2, mpmath.mpf(1) / 2, 0, df / (df + t * t),
                                regularized=True) / 2)


def t_isf(q, df):
    """t with P(T > t) = q, exact to 50 digits."""
    q, dfm = mpmath.mpf(q), mpmath.mpf(df)
    f = lambda t: mpmath.betainc(dfm / 2, mpmath.mpf(1) / 2, 0, dfm / (dfm + t * t),
                                 regularized=True) / 2 - q
    return float(mpmath.findroot(f, float(stats.t.isf(float(q), df))))


def welch_df(va, na, vb, nb):
    a, b = va / na, vb / nb
    return (a + b) ** 2 / (a * a / (na - 1) + b * b / (nb - 1))


def estimate(delta, se, df, alpha):
    half = t_isf(alpha / 2, df) * se
    return {"estimate": delta, "se": se, "ci": [delta - half, delta + half],
            "p_value": min(1.0, 2 * t_sf(abs(delta / se), df))}


def relative(ma, mb, va, na, vb, nb, df, alpha, delta=None, rel_a=None):
    """STATS.md relative lift; rel_a overrides the control's variance term (CUPED)."""
    delta = (mb - ma) if delta is None else delta
    rel_a = va * mb * mb / (ma * ma) if rel_a is None else rel_a
    se = math.sqrt(vb / (nb * ma * ma) + rel_a / (na * ma * ma))
    return estimate(delta / abs(ma), se, df, alpha)


def sums_mean(x):
    return {"n": len(x), "sum": float(np.sum(x)), "sum_sq": float(np.sum(x * x))}


rng = np.random.RandomState(20261121)
cases = []

# --- proportions: the DESIGN.md example, a 10% vs 12% test, and huge counts ------------
for name, (na, ca), (nb, cb), alpha in [
        ("proportion, the contract's example", (10000, 312), (10050, 360), 0.05),
        ("proportion, 10% vs 12% at alpha 0.01", (5000, 500), (5000, 600), 0.01),
        ("proportion, a billion shoppers per arm", (10**9, 31_000_000), (10**9, 31_100_000), 0.05)]:
    pa, pb = ca / na, cb / nb
    va, vb = pa * (1 - pa), pb * (1 - pb)
    df = welch_df(va, na, vb, nb)
    # scipy's own Welch test from summary statistics, as an independent check of p.
    t, p = stats.ttest_ind_from_stats(pb, math.sqrt(vb), nb, pa, math.sqrt(va), na,
                                      equal_var=False)
    ab = estimate(pb - pa, math.sqrt(va / na + vb / nb), df, alpha)
    assert abs(ab["p_value"] - p) <= 1e-9 * p, (ab["p_value"], p)
    cases.append({"name": name,
                  "request": {"alpha": alpha, "variants": ["control", "treatment"],
                              "metrics": [{"key": "conversion", "type": "proportion",
                                           "data": [{"n": na, "sum": ca}, {"n": nb, "sum": cb}]}]},
                  "expected": [{"df": df, "absolute": ab,
                                "relative": relative(pa, pb, va, na, vb, nb, df, alpha)}]})

# --- means: heavy-tailed revenue, three variants --------------------------------------
arms = [rng.lognormal(3.0, 1.2, 2000) * (rng.rand(2000) < 0.3),
        rng.lognormal(3.05, 1.2, 2100) * (rng.rand(2100) < 0.31),
        rng.lognormal(2.9, 1.3, 1900) * (rng.rand(1900) < 0.3)]
expected = []
for b in arms[1:]:
    a = arms[0]
    t, p = stats.ttest_ind(b, a, equal_var=False)
    va, vb = np.var(a, ddof=1), np.var(b, ddof=1)
    df = welch_df(va, len(a), vb, len(b))
    ab = estimate(b.mean() - a.mean(), math.sqrt(va / len(a) + vb / len(b)), df, 0.05)
    assert abs(ab["p_value"] - p) <= 1e-9 * p
    expected.append({"df": df, "absolute": ab,
                     "relative": relative(a.mean(), b.mean(), va, len(a), vb, len(b), df, 0.05)})
cases.append({"name": "mean, heavy-tailed revenue, three variants",
              "request": {"variants": ["control", "recs_v1", "recs_v2"],
                          "metrics": [{"key": "revenue", "type": "mean",
                                       "data": [sums_mean(x) for x in arms]}]},
              "expected": expected})

# --- ratio: AOV = revenue / orders per shopper, delta method ---------------------------
def shoppers(n, rate, basket):
    orders = rng.poisson(rate, n) + 1  # shoppers with at least one order
    revenue = np.array([rng.lognormal(basket, 0.8, k).sum() for k in orders])
    return revenue, orders.astype(float)

ra, rb = shoppers(1500, 0.4, 3.6), shoppers(1600, 0.45, 3.65)
def ratio_moments(rev, orders):
    n = len(rev)
    mx, md = rev.mean(), orders.mean()
    c = np.cov(rev, orders, ddof=1)
    v = c[0, 0] / md**2 + c[1, 1] * mx**2 / md**4 - 2 * c[0, 1] * mx / md**3
    return rev.sum() / orders.sum(), v, n
(ma, va, na), (mb, vb, nb) = ratio_moments(*ra), ratio_moments(*rb)
df = welch_df(va, na, vb, nb)
def ratio_sums(rev, orders):
    return {"n": len(rev), "sum": float(rev.sum()), "sum_sq": float((rev * rev).sum()),
            "den_sum": float(orders.sum()), "den_sum_sq": float((orders * orders).sum()),
            "sum_x_den": float((rev * orders).sum())}
cases.append({"name": "ratio, average order value",
              "request": {"variants": ["control", "personalized"],
                          "metrics": [{"key": "aov", "type": "ratio",
                                       "data": [ratio_sums(*ra), ratio_sums(*rb)]}]},
              "expected": [{"df": df, "absolute": estimate(mb - ma, math.sqrt(va / na + vb / nb), df, 0.05),
                            "relative": relative(ma, mb, va, na, vb, nb, df, 0.05)}]})

# --- CUPED: revenue with a correlated pre-period ---------------------------------------
def with_pre(n, lift):
    z = rng.gamma(2.0, 20.0, n)
    x = 0.8 * z + rng.normal(10 * lift, 15, n) + 5
    return x, z
(xa, za), (xb, zb) = with_pre(3000, 0.0), with_pre(3100, 1.0)
xp, zp = np.concatenate([xa, xb]), np.concatenate([za, zb])
theta = np.cov(xp, zp, ddof=1)[0, 1] / np.var(zp, ddof=1)
def adjusted(x, z):
    y = x - theta * z  # the adjusted per-unit values; their sample variance is v_x + t^2 v_z - 2 t c
    return y.mean(), np.var(y, ddof=1)
(aa, vaa), (ab_, vab) = adjusted(xa, za), adjusted(xb, zb)
df = welch_df(vaa, len(xa), vab, len(xb))
ca = np.cov(xa, za, ddof=1)[0, 1]
rel_a = np.var(xa, ddof=1) * xb.mean()**2 / xa.mean()**2 - 2 * theta * ca * xb.mean() / xa.mean() \
    + theta**2 * np.var(za, ddof=1)
t_pre, p_pre = stats.ttest_ind(zb, za, equal_var=False)
def cuped_sums(x, z):
    s = sums_mean(x)
    s.update({"pre_sum": float(z.sum()), "pre_sum_sq": float((z * z).sum()),
              "sum_x_pre": float((x * z).sum())})
    return s
cases.append({"name": "mean with CUPED",
              "request": {"variants": ["control", "personalized"],
                          "metrics": [{"key": "revenue", "type": "mean", "cuped": True,
                                       "data": [cuped_sums(xa, za), cuped_sums(xb, zb)]}]},
              "expected": [{"df": df, "theta": theta, "pre_p_value": p_pre,
                            "absolute": estimate(ab_ - aa, math.sqrt(vaa / len(xa) + vab / len(xb)), df, 0.05),
                            "relative": relative(xa.mean(), xb.mean(), None, len(xa), vab, len(xb), df, 0.05,
                                                 delta=ab_ - aa, rel_a=rel_a)}]})

# --- sequential: always-valid intervals and p-values (STATS.md) ------------------------
def sequential(delta, se, n, alpha, tuning):
    rho2 = (-2 * math.log(alpha) + math.log(-2 * math.log(alpha) + 1)) / tuning
    s2 = se * se * n
    half = math.sqrt(s2) * math.sqrt(2 * (n * rho2 + 1) / (n * n * rho2) *
                                     math.log(math.sqrt(n * rho2 + 1) / alpha))
    e = math.exp(rho2 * n * delta**2 / se**2 / (2 * (n * rho2 + 1))) / math.sqrt(n * rho2 + 1)
    return {"estimate": delta, "se": se, "ci": [delta - half, delta + half], "p_value": min(1, 1 / e)}
pa, pb, na, nb = 312 / 10000, 360 / 10050, 10000, 10050
va, vb = pa * (1 - pa), pb * (1 - pb)
se_abs = math.sqrt(va / na + vb / nb)
se_rel = math.sqrt(vb / (nb * pa**2) + va * pb**2 / (na * pa**4))
cases.append({"name": "sequential, N* = 5000",
              "request": {"sequential": {"tuning": 5000}, "variants": ["control", "treatment"],
                          "metrics": [{"key": "conversion", "type": "proportion",
                                       "data": [{"n": na, "sum": 312}, {"n": nb, "sum": 360}]}]},
              "expected": [{"absolute": sequential(pb - pa, se_abs, na + nb, 0.05, 5000),
                            "relative": sequential((pb - pa) / pa, se_rel, na + nb, 0.05, 5000)}]})

# --- SRM and the correction family -----------------------------------------------------
units, weights = [5000, 5500, 10100], [0.25, 0.25, 0.5]
chi2, p_srm = stats.chisquare(units, f_exp=np.array(weights) / sum(weights) * sum(units))
conv = [(5000, 400), (5500, 470), (10100, 780)]
metrics = [{"key": "conversion", "type": "proportion",
            "data": [{"n": n, "sum": c} for n, c in conv]},
           {"key": "clicks", "type": "proportion",
            "data": [{"n": 5000, "sum": 900}, {"n": 5500, "sum": 1060}, {"n": 10100, "sum": 1800}]}]
rel_p = []
for m in metrics:
    a = m["data"][0]
    for b in m["data"][1:]:
        pa, pb = a["sum"] / a["n"], b["sum"] / b["n"]
        va, vb = pa * (1 - pa), pb * (1 - pb)
        df = welch_df(va, a["n"], vb, b["n"])
        rel_p.append(relative(pa, pb, va, a["n"], vb, b["n"], df, 0.05)["p_value"])
for method, sm in [("holm", "holm"), ("bh", "fdr_bh")]:
    adj = multipletests(rel_p, method=sm)[1]
    cases.append({"name": f"SRM and {method} over 2 metrics x 2 treatments",
                  "request": {"correction": method, "variants": ["control", "a", "b"],
                              "weights": weights, "units": units, "metrics": metrics},
                  "srm": {"chi2": chi2, "p_value": p_srm, "flag": bool(p_srm < 0.001)},
                  "expected": [{"p_value_adjusted": float(x)} for x in adj]})

# Ties and a p-value of 1, straight through statsmodels.
family = [0.01, 0.04, 0.04, 0.03, 0.5, 1.0, 0.001, 0.02]
adjust = [{"method": m, "p": family, "adjusted": [float(x) for x in multipletests(family, method=sm)[1]]}
          for m, sm in [("holm", "holm"), ("bh", "fdr_bh")]]

# --- Bayesian view: chance to win and expected loss by numerical integration -----------
def bayes(mu, sd, lower=False):
    x_mu = -mu if lower else mu
    pdf = lambda x: stats.norm.pdf(x, x_mu, sd)
    lo, hi = x_mu - 40 * sd, x_mu + 40 * sd
    return {"chance_to_win": float(stats.norm.sf(0, x_mu, sd)),
            "risk_treatment": integrate.quad(lambda x: -x * pdf(x), lo, 0, epsabs=1e-14, epsrel=1e-12, limit=200)[0],
            "risk_control": integrate.quad(lambda x: x * pdf(x), 0, hi, epsabs=1e-14, epsrel=1e-12, limit=200)[0]}
bayes_cases = []
for est, se, prior, lower in [(0.05, 0.02, None, False), (0.05, 0.02, (0.0, 0.03), False),
                              (-0.01, 0.04, None, True), (0.002, 0.01, (0.01, 0.05), False)]:
    if prior:
        prec = 1 / se**2 + 1 / prior[1]**2
        mu, sd = (est / se**2 + prior[0] / prior[1]**2) / prec, math.sqrt(1 / prec)
    else:
        mu, sd = est, se
    b = bayes(mu, sd, lower)
    b.update({"estimate": est, "se": se, "prior": prior, "lower_is_better": lower,
              "post_mean": mu, "post_sd": sd})
    bayes_cases.append(b)

# --- planning ------------------------------------------------------------------------
def n_needed(m, va, vb, mde, alpha, power):
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    return z * z * (va + vb) / (mde * m) ** 2
power = []
for p, mde, alpha, pw in [(0.05, 0.10, 0.05, 0.8), (0.0312, 0.05, 0.05, 0.9), (0.3, -0.1, 0.01, 0.8)]:
    pb = p * (1 + mde)
    n = math.ceil(n_needed(p, p * (1 - p), pb * (1 - pb), mde, alpha, pw))
    # MDE reachable with 20000 per arm: solve the same formula for the effect.
    f = lambda d: n_needed(p, p * (1 - p), p * (1 + d) * (1 - p * (1 + d)), d, alpha, pw) - 20000
    power.append({"proportion": True, "baseline": p, "mde": mde, "alpha": alpha, "power": pw,
                  "n": n, "mde_at_20000": optimize.brentq(f, 1e-6, 1 / p - 1 - 1e-9, xtol=1e-15)})
for m, sd, mde in [(52.0, 140.0, 0.05), (3.2, 2.5, 0.02)]:
    n = math.ceil(n_needed(m, sd * sd, sd * sd, mde, 0.05, 0.8))
    z = stats.norm.ppf(0.975) + stats.norm.ppf(0.8)
    power.append({"proportion": False, "baseline": m, "sd": sd, "mde": mde, "alpha": 0.05,
                  "power": 0.8, "n": n, "mde_at_20000": z * math.sqrt(2 * sd * sd / 20000) / m})

# --- Student t at awkward degrees of freedom -----------------------------------------
tdist = [{"t": t, "df": df, "sf": t_sf(t, df)} for t, df in
         [(0.3, 3), (1.96, 31), (2.5, 31), (4.0, 31), (6.0, 200), (6.0, 5e4), (2.0, 1e5),
          (4.0, 3e5), (9.0, 2e6), (20.0, 5e6), (2.5, 1e7), (1.0, 7.5e7), (3.0, 1e9),
          (0.01, 1e6)]]
tquant = [{"q": q, "df": df, "t": t_isf(q, df)} for q, df in
          [(0.025, 31), (0.05, 31), (0.005, 12.5), (0.025, 1e5), (0.025, 3e7), (0.025, 1e9),
           (0.4, 4)]]

# --- far tails: p near and below the smallest double (2.2e-308) ------------------------
def t_log_sf(t, df):
    """log P(T > t) by integrating the t density at 50 digits: no special function, so it
    reaches tails where betainc's hypergeometric series gives up."""
    t, df = mpmath.mpf(t), mpmath.mpf(df)
    log_c = mpmath.loggamma((df + 1) / 2) - mpmath.loggamma(df / 2) - mpmath.log(df * mpmath.pi) / 2
    log_f = lambda s: -(df + 1) / 2 * mpmath.log1p(s * s / df)
    f0 = log_f(t)
    scale = (df + t * t) / ((df + 1) * t)  # the density ratio falls at this rate beyond t
    integral = mpmath.quad(lambda u: mpmath.exp(log_f(t + u) - f0),
                           [0, scale, 10 * scale, 100 * scale, mpmath.inf])
    return log_c + f0 + mpmath.log(integral)


def two_sided(t, df):
    """2 P(T > |t|) as a double (0 below the smallest double), cross-checked with betainc."""
    lp = t_log_sf(abs(t), df) + mpmath.log(2)
    if lp > -500:
        b = mpmath.mpf(2) * t_sf(abs(t), df)
        assert abs(mpmath.exp(lp) / b - 1) < 1e-14, (t, df)
    return min(1.0, float(mpmath.exp(lp)))


tfar = []
for df in [1e3, 3e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9]:
    for t in [8, 10, 20, 30, 37, 40, 50, 54, 60, 80, 100, 120, 150]:
        lp = t_log_sf(t, df)
        if lp > -500:  # betainc agrees where it converges
            assert abs(mpmath.exp(lp) / t_sf(t, df) - 1) < 1e-14, (t, df)
        tfar.append({"t": t, "df": df, "log_sf": float(lp), "sf": float(mpmath.exp(lp))})


def estimate_far(delta, se, df, alpha):
    half = t_isf(alpha / 2, df) * se
    return {"estimate": delta, "se": se, "ci": [delta - half, delta + half],
            "p_value": two_sided(delta / se, df)}


def proportion_case(name, na, ca, nb, cb, alpha=0.05):
    pa, pb = ca / na, cb / nb
    va, vb = pa * (1 - pa), pb * (1 - pb)
    df = welch_df(va, na, vb, nb)
    se_rel = math.sqrt(vb / (nb * pa * pa) + va * pb * pb / (na * pa ** 4))
    return {"name": name,
            "request": {"alpha": alpha, "variants": ["control", "treatment"],
                        "metrics": [{"key": "conversion", "type": "proportion",
                                     "data": [{"n": na, "sum": ca}, {"n": nb, "sum": cb}]}]},
            "expected": [{"df": df,
                          "absolute": estimate_far(pb - pa, math.sqrt(va / na + vb / nb), df, alpha),
                          "relative": estimate_far((pb - pa) / pa, se_rel, df, alpha)}]}


def normal_range(x):
    """A p the C side must match to 1e-9: 0, or a normal double (subnormals keep few bits)."""
    return x == 0 or x >= 1e-306


def search(make, lo, hi, target=-301.5):
    """Bisects a scale f in [lo, hi] until the case's relative p is near 10^target, with
    every p of the case either 0 or a normal double."""
    for _ in range(80):
        mid = (lo + hi) / 2
        c = make(mid)
        rel = c["expected"][0]["relative"]
        lp = float(t_log_sf(abs(rel["estimate"] / rel["se"]), c["expected"][0]["df"]) + mpmath.log(2)) \
            / math.log(10) if "df" in c["expected"][0] else math.log10(max(rel["p_value"], 1e-320))
        if abs(lp - target) < 0.5:
            ps = [c["expected"][0][k]["p_value"] for k in ("absolute", "relative")]
            assert all(normal_range(x) for x in ps), ps
            return c
        if lp > target:  # p still too large: a larger effect
            lo = mid
        else:
            hi = mid
    raise AssertionError("no scale found")


far_rng = np.random.RandomState(20261213)
far_cases = []
# A catastrophic loss at a million shoppers per arm: 5% against 2.5%, t ~ 93.
far_cases.append(proportion_case("far tail: proportion, a certain loss, p below the smallest double",
                                 1_000_000, 50_000, 1_000_000, 25_000))
# The same at p near 1e-301: the loss that must not disappear.
far_cases.append(search(lambda f: proportion_case("far tail: proportion, p near 1e-301",
                                                  1_000_000, 50_000, 1_000_000,
                                                  int(round(50_000 * (1 - f)))), 0.05, 0.5))

# Heavy-tailed revenue: raw per-shopper values, the treatment scaled by f.
rev_a = far_rng.lognormal(3.0, 0.8, 6000) * (far_rng.rand(6000) < 0.6)
rev_b = far_rng.lognormal(3.0, 0.8, 6000) * (far_rng.rand(6000) < 0.6)
def mean_case(name, a, b):
    va, vb = np.var(a, ddof=1), np.var(b, ddof=1)
    df = welch_df(va, len(a), vb, len(b))
    ab = estimate_far(b.mean() - a.mean(), math.sqrt(va / len(a) + vb / len(b)), df, 0.05)
    se_rel = math.sqrt(vb / (len(b) * a.mean() ** 2) + va * b.mean() ** 2 / (len(a) * a.mean() ** 4))
    return {"name": name,
            "request": {"variants": ["control", "treatment"],
                        "metrics": [{"key": "revenue", "type": "mean",
                                     "data": [sums_mean(a), sums_mean(b)]}]},
            "expected": [{"df": df, "absolute": ab,
                          "relative": estimate_far((b.mean() - a.mean()) / abs(a.mean()), se_rel, df, 0.05)}]}
far_cases.append(mean_case("far tail: mean, revenue down 90%, p below the smallest double",
                           rev_a, rev_b * 0.1))
far_cases.append(search(lambda f: mean_case("far tail: mean, p near 1e-301 at df ~ 1.2e4",
                                            rev_a, rev_b * (1 - f)), 0.1, 0.9))
# df near 1000: 520 shoppers per arm, everyone buys.
small_a, small_b = far_rng.lognormal(3.0, 0.3, 520), far_rng.lognormal(3.0, 0.3, 520)
far_cases.append(search(lambda f: mean_case("far tail: mean, p near 1e-301 at df ~ 1000",
                                            small_a, small_b * (1 - f)), 0.2, 0.99))

# AOV (ratio) with a collapsed basket.
ra_far = shoppers(20000, 0.4, 3.6)
rb_far = shoppers(20000, 0.4, 3.6)
def ratio_case(name, f):
    (ma_, va_, na_), (mb_, vb_, nb_) = ratio_moments(*ra_far), ratio_moments(rb_far[0] * (1 - f), rb_far[1])
    df_ = welch_df(va_, na_, vb_, nb_)
    se_rel = math.sqrt(vb_ / (nb_ * ma_ * ma_) + va_ * mb_ * mb_ / (na_ * ma_ ** 4))
    return {"name": name,
            "request": {"variants": ["control", "personalized"],
                        "metrics": [{"key": "aov", "type": "ratio",
                                     "data": [ratio_sums(*ra_far), ratio_sums(rb_far[0] * (1 - f), rb_far[1])]}]},
            "expected": [{"df": df_, "absolute": estimate_far(mb_ - ma_, math.sqrt(va_ / na_ + vb_ / nb_), df_, 0.05),
                          "relative": estimate_far((mb_ - ma_) / ma_, se_rel, df_, 0.05)}]}
far_cases.append(ratio_case("far tail: ratio, AOV down 70%, p below the smallest double", 0.7))
far_cases.append(search(lambda f: ratio_case("far tail: ratio, p near 1e-301", f), 0.05, 0.7))

# CUPED with a strong pre-period: the adjusted test goes far beyond the plain one.
def cuped_case(name, n, add):
    z_a, z_b = far_rng.gamma(2.0, 20.0, n), far_rng.gamma(2.0, 20.0, n)
    xa_ = 0.8 * z_a + far_rng.normal(0, 15, n) + 5
    xb_ = 0.8 * z_b + far_rng.normal(0, 15, n) + 5 - add
    xp_, zp_ = np.concatenate([xa_, xb_]), np.concatenate([z_a, z_b])
    th = np.cov(xp_, zp_, ddof=1)[0, 1] / np.var(zp_, ddof=1)
    ya, yb = xa_ - th * z_a, xb_ - th * z_b
    vaa_, vab_ = np.var(ya, ddof=1), np.var(yb, ddof=1)
    df_ = welch_df(vaa_, n, vab_, n)
    ca_ = np.cov(xa_, z_a, ddof=1)[0, 1]
    rel_a_ = np.var(xa_, ddof=1) * xb_.mean() ** 2 / xa_.mean() ** 2 - 2 * th * ca_ * xb_.mean() / xa_.mean() \
        + th ** 2 * np.var(z_a, ddof=1)
    se_rel = math.sqrt(vab_ / (n * xa_.mean() ** 2) + rel_a_ / (n * xa_.mean() ** 2))
    d = yb.mean() - ya.mean()
    return {"name": name,
            "request": {"variants": ["control", "personalized"],
                        "metrics": [{"key": "revenue", "type": "mean", "cuped": True,
                                     "data": [cuped_sums(xa_, z_a), cuped_sums(xb_, z_b)]}]},
            "expected": [{"df": df_, "absolute": estimate_far(d, math.sqrt(vaa_ / n + vab_ / n), df_, 0.05),
                          "relative": estimate_far(d / abs(xa_.mean()), se_rel, df_, 0.05)}]}
far_cases.append(cuped_case("far tail: CUPED, p below the smallest double", 5000, 12.0))
state = far_rng.get_state()
def cuped_at(add):
    far_rng.set_state(state)  # the same data for every scale tried
    return cuped_case("far tail: CUPED, p near 1e-301", 5000, add)
far_cases.append(search(cuped_at, 1.0, 12.0))

# Sequential: the always-valid p of a certain loss is exp(-log E) and underflows cleanly.
def seq_case(name, cb):
    pa, pb, n = 0.05, cb / 1_000_000, 1_000_000
    va, vb = pa * (1 - pa), pb * (1 - pb)
    se_abs = math.sqrt(va / n + vb / n)
    se_rel = math.sqrt(vb / (n * pa ** 2) + va * pb ** 2 / (n * pa ** 4))
    def seq_far(delta, se):
        e = sequential_log(delta, se, 2 * n, 0.05, 5000)
        return e
    return {"name": name,
            "request": {"sequential": {"tuning": 5000}, "variants": ["control", "treatment"],
                        "metrics": [{"key": "conversion", "type": "proportion",
                                     "data": [{"n": n, "sum": 50_000}, {"n": n, "sum": cb}]}]},
            "expected": [{"absolute": seq_far(pb - pa, se_abs), "relative": seq_far((pb - pa) / pa, se_rel)}]}
def sequential_log(delta, se, n, alpha, tuning):
    delta, se, n = mpmath.mpf(delta), mpmath.mpf(se), mpmath.mpf(n)
    rho2 = (-2 * mpmath.log(alpha) + mpmath.log(-2 * mpmath.log(alpha) + 1)) / tuning
    half = se * mpmath.sqrt(n) * mpmath.sqrt(2 * (n * rho2 + 1) / (n * n * rho2) *
                                             mpmath.log(mpmath.sqrt(n * rho2 + 1) / alpha))
    log_e = rho2 * n * delta ** 2 / se ** 2 / (2 * (n * rho2 + 1)) - mpmath.log(n * rho2 + 1) / 2
    return {"estimate": float(delta), "se": float(se), "ci": [float(delta - half), float(delta + half)],
            "p_value": float(min(1, mpmath.exp(-log_e)))}
far_cases.append(seq_case("far tail: sequential, p below the smallest double", 25_000))
def seq_search():
    lo, hi = 25_000, 50_000
    while hi - lo > 1:
        mid = (lo + hi) // 2
        p = seq_case("", mid)["expected"][0]["relative"]["p_value"]
        if p < 1e-301:
            lo = mid
        else:
            hi = mid
    c = seq_case("far tail: sequential, p near 1e-301", hi)
    assert all(normal_range(c["expected"][0][k]["p_value"]) for k in ("absolute", "relative"))
    return c
far_cases.append(seq_search())
for c in far_cases:
    for k in ("absolute", "relative"):
        assert normal_range(c["expected"][0][k]["p_value"]), c["name"]

# Bayesian view of a certain loss: chance to win 0, the expected loss the whole drop.
bayes_far = []
for est, se, lower in [(-0.5, 0.001, False), (0.3, 0.0005, True)]:
    x_mu = -est if lower else est
    b = {"chance_to_win": float(mpmath.ncdf(x_mu / se)),
         "risk_treatment": float(se * mpmath.npdf(x_mu / se) - x_mu * mpmath.ncdf(-x_mu / se)),
         "risk_control": float(se * mpmath.npdf(x_mu / se) + x_mu * mpmath.ncdf(x_mu / se)),
         "estimate": est, "se": se, "prior": None, "lower_is_better": lower,
         "post_mean": est, "post_sd": se}
    bayes_far.append(b)

# --- intervals that agree with the corrected call ------------------------------------
def family_case(method):
    # conversion over 3 treatments and 2 metrics: some clear wins, some near the line.
    conv = [(40000, 2000), (40000, 2300), (40000, 2140), (40000, 2020)]
    clicks = [(40000, 8000), (40000, 8220), (40000, 7780), (40000, 8360)]
    ms = [("conversion", conv), ("clicks", clicks)]
    rows = []
    for key, data in ms:
        na, ca = data[0]
        pa = ca / na
        for nb, cb in data[1:]:
            pb = cb / nb
            va, vb = pa * (1 - pa), pb * (1 - pb)
            df = welch_df(va, na, vb, nb)
            se = math.sqrt(vb / (nb * pa * pa) + va * pb * pb / (na * pa ** 4))
            rows.append({"est": (pb - pa) / pa, "se": se, "df": df,
                         "p": two_sided((pb - pa) / pa / se, df)})
    p = [r["p"] for r in rows]
    adj = multipletests(p, method={"holm": "holm", "bh": "fdr_bh"}[method])[1]
    m, r = len(p), int(sum(a < 0.05 for a in adj))
    level = 0.05 / max(m - r, 1) if method == "holm" else max(r, 1) * 0.05 / m
    expected = []
    for row, a in zip(rows, adj):
        half = t_isf(level / 2, row["df"]) * row["se"]
        lo, hi = row["est"] - half, row["est"] + half
        sig = bool(a < 0.05)
        assert sig == (lo > 0 or hi < 0), "the interval must agree with the call"
        expected.append({"p_value_adjusted": float(a), "ci_level": 1 - level,
                         "rel_ci": [lo, hi], "significant": sig})
    assert 0 < r < m, "the family needs both calls"
    return {"name": f"{method}: intervals at the level that agrees with the calls ({r} of {m})",
            "request": {"correction": method, "variants": ["control", "a", "b", "c"],
                        "metrics": [{"key": k, "type": "proportion",
                                     "data": [{"n": n, "sum": c} for n, c in d]} for k, d in ms]},
            "expected": expected}
correction_cases = [family_case("holm"), family_case("bh")]

# A guardrail: one-sided at alpha beyond a margin, uncorrected; its interval is 1 - 2 alpha.
def guardrail_case(name, cb, margin):
    na, ca, nb = 30000, 3000, 30000
    pa, pb = ca / na, cb / nb
    va, vb = pa * (1 - pa), pb * (1 - pb)
    df = welch_df(va, na, vb, nb)
    se = math.sqrt(vb / (nb * pa * pa) + va * pb * pb / (na * pa ** 4))
    est = (pb - pa) / pa
    half = t_isf(0.05, df) * se  # two-sided 90%: its upper bound is the one-sided 95% bound
    g = (est + margin) / se
    harm_p = float(1 - mpmath.mpf(t_sf(g, df))) if g > 0 else float(t_sf(-g, df))
    return {"name": name,
            "request": {"correction": "bh", "variants": ["control", "treatment"],
                        "metrics": [{"key": "conversion", "type": "proportion",
                                     "data": [{"n": na, "sum": ca}, {"n": nb, "sum": ca}]},
                                    {"key": "checkout_rate", "type": "proportion", "role": "guardrail",
                                     "margin": margin,
                                     "data": [{"n": na, "sum": ca}, {"n": nb, "sum": cb}]}]},
            "expected": [{}, {"ci_level": 0.9, "rel_ci": [est - half, est + half], "harm_p": harm_p,
                              "harm": bool(est + half < -margin), "significant": bool(est + half < 0 or est - half > 0)}]}
guardrail_cases = [guardrail_case("guardrail: -7.3%, beyond a 2% margin", 2780, 0.02),
                   guardrail_case("guardrail: -4%, a loss within a 2% margin", 2880, 0.02),
                   guardrail_case("guardrail: -4.3%, no margin: one-sided catches what a two-sided "
                                  "95% interval would not", 2870, 0.0)]
assert [c["expected"][1]["harm"] for c in guardrail_cases] == [True, False, True]
assert guardrail_cases[1]["expected"][1]["significant"]

# --- power at the real allocation and correction ------------------------------------
def pair(p, mde, alpha, pw, ra, rb):
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(pw)
    pb = p * (1 + mde)
    return z * z * (p * (1 - p) / ra + pb * (1 - pb) / rb) / (mde * p) ** 2
alloc = []
for p, mde, alpha, pw, wa, wb, m in [(0.05, 0.05, 0.05, 0.8, 0.05, 0.95, 1), (0.05, 0.05, 0.05, 0.8, 0.5, 0.5, 1),
                                     (0.1, 0.1, 0.05, 0.8, 0.2, 0.8, 6), (0.03, -0.1, 0.05, 0.9, 0.5, 0.5, 12)]:
    a_m = alpha / m  # the first rejection's level under Holm or BH
    ra, rb = wa / (wa + wb), wb / (wa + wb)
    n_pair = pair(p, mde, a_m, pw, ra, rb)
    equal = pair(p, mde, a_m, pw, 0.5, 0.5) / 2
    na_, nb_ = 20000 * ra / 0.5, 20000 * rb / 0.5  # 40000 shoppers split at the weights
    z = stats.norm.ppf(1 - a_m / 2) + stats.norm.ppf(pw)
    # the MDE reachable with na_ and nb_: z^2 (v_a/na + v_b(d)/nb) = (d p)^2
    f = lambda d: z * z * (p * (1 - p) / na_ + p * (1 + d) * (1 - p * (1 + d)) / nb_) / (d * p) ** 2 - 1
    alloc.append({"baseline": p, "mde": mde, "alpha": alpha, "family": m, "power": pw,
                  "weights": [wa, wb], "n_control": math.ceil(ra * n_pair),
                  "n_treatment": math.ceil(rb * n_pair), "n_equal": math.ceil(equal),
                  "mde_at": [na_, nb_], "mde_reached": optimize.brentq(f, 1e-6, 1 / p - 1 - 1e-9, xtol=1e-15)})

print(json.dumps({"generated_by": f"tests/ref/stats_ref.py (numpy {np.__version__}, "
                                  f"scipy {scipy.__version__}, statsmodels {statsmodels.__version__}, "
                                  f"mpmath {mpmath.__version__})",
                  "cases": cases, "adjust": adjust, "bayes": bayes_cases, "power": power,
                  "tdist": tdist, "tquantile": tquant, "tfar": tfar, "far_cases": far_cases,
                  "bayes_far": bayes_far, "correction_cases": correction_cases,
                  "guardrail_cases": guardrail_cases, "allocation": alloc}, indent=1))
