/* Money: the incremental revenue of a treatment, over the experiment and per 30 days at
 * full rollout (docs/statistics.md, Money). */
#include <math.h>

#include "lift/stats.h"

void lift_stats_money(const lift_result *revenue, double treated, double daily, lift_money *out)
{
    const lift_estimate *d = &revenue->cmp.abs;
    *out = (lift_money){.valid = d->valid && treated >= 0 && isfinite(treated),
                        .per_shopper = d->estimate,
                        .per_shopper_ci = revenue->abs_ci,
                        .treated = treated,
                        .daily = daily};
    if (!out->valid)
        return;
    out->total = d->estimate * treated;
    out->total_ci = (lift_interval){revenue->abs_ci.lo * treated, revenue->abs_ci.hi * treated};
    double per_30 = isfinite(daily) && daily >= 0 ? 30 * daily : (double)NAN;
    out->per_30_days = d->estimate * per_30;
    out->per_30_days_ci = (lift_interval){revenue->abs_ci.lo * per_30, revenue->abs_ci.hi * per_30};
}
