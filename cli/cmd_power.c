/* liftctl power: shoppers needed per variant, duration in whole weeks, reachable MDE. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lift/stats.h"
#include "lift/text.h"

static const char USAGE[] =
    "usage: liftctl power (--baseline P | --mean M --sd S) --mde D [--alpha A] [--power B]\n"
    "                     [--variants K] [--split C/T] [--daily-shoppers N] [--weeks W]\n"
    "Shoppers needed per variant to detect a relative lift D (0.05 or 5%%) on a conversion\n"
    "rate P, or on a mean M with standard deviation S; two-sided alpha (default 0.05),\n"
    "power (0.8), K variants (2). With --daily-shoppers: the duration in whole weeks (never\n"
    "under 7 days) and the smallest lift detectable after 1..8 weeks (or after W weeks).\n"
    "--split 5/95 plans a control and a treatment of unequal shares (a holdout): the\n"
    "shoppers each arm needs at that allocation (docs/statistics.md, Planning and guards).\n";

static void print_count(const char *label, double n)
{
    char grouped[48];
    printf("  %-24s %s\n", label, lift_fmt_grouped(grouped, sizeof grouped, n, 0, false));
}

int cmd_power(int argc, char **argv)
{
    static const struct option opts[] = {{"baseline", required_argument, NULL, 'b'},
                                         {"mean", required_argument, NULL, 'm'},
                                         {"sd", required_argument, NULL, 's'},
                                         {"mde", required_argument, NULL, 'd'},
                                         {"alpha", required_argument, NULL, 'a'},
                                         {"power", required_argument, NULL, 'p'},
                                         {"variants", required_argument, NULL, 'k'},
                                         {"daily-shoppers", required_argument, NULL, 'n'},
                                         {"weeks", required_argument, NULL, 'w'},
                                         {"split", required_argument, NULL, 'x'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    lift_plan plan = {.alpha = 0.05, .power = 0.8};
    double mde = (double)NAN, daily = 0;
    long variants = 2, weeks = 0;
    bool have_rate = false, have_mean = false, have_sd = false;
    int c;
    while ((c = cli_getopt(argc, argv, opts, "power")) != -1) {
        const char *name = opts[0].name;
        for (const struct option *o = opts; o->name; o++)
            if (o->val == c)
                name = o->name;
        bool ok = true;
        switch (c) {
        case 'b':
            ok = lift_share_parse(optarg, &plan.baseline);
            have_rate = true;
            break;
        case 'm':
            ok = cli_parse_double(optarg, &plan.baseline);
            have_mean = true;
            break;
        case 's':
            ok = cli_parse_double(optarg, &plan.sd);
            have_sd = true;
            break;
        case 'd':
            ok = lift_share_parse(optarg, &mde);
            break;
        case 'a':
            ok = lift_share_parse(optarg, &plan.alpha);
            break;
        case 'p':
            ok = lift_share_parse(optarg, &plan.power);
            break;
        case 'k':
            ok = cli_parse_long(optarg, &variants) && variants >= 2 && variants <= 100;
            break;
        case 'n':
            ok = cli_parse_double(optarg, &daily) && daily > 0;
            break;
        case 'w':
            ok = cli_parse_long(optarg, &weeks) && weeks >= 1 && weeks <= 520;
            break;
        case 'x': {
            char *slash = strchr(optarg, '/'), left[64];
            ok = slash && (size_t)(slash - optarg) < sizeof left;
            if (ok) {
                memcpy(left, optarg, (size_t)(slash - optarg));
                left[slash - optarg] = '\0';
                ok = cli_parse_double(left, &plan.control_share) &&
                     cli_parse_double(slash + 1, &plan.treatment_share) && plan.control_share > 0 &&
                     plan.treatment_share > 0;
            }
            break;
        }
        case 'h':
            fputs(USAGE, stdout);
            return CLI_OK;
        default:
            return CLI_USAGE;
        }
        if (!ok)
            return cli_fail(CLI_USAGE, "power", "--%s: '%s' is not a valid value", name, optarg);
    }
    if (cli_extra_args(argc, argv, "power") != CLI_OK)
        return CLI_USAGE;
    if (have_rate == have_mean || have_mean != have_sd || isnan(mde)) {
        fputs(USAGE, stderr);
        return CLI_USAGE;
    }
    plan.proportion = have_rate;
    lift_err err;
    double n;
    if (lift_stats_sample_size(&plan, mde, &n, &err) != LIFT_OK)
        return cli_fail(CLI_USAGE, "power", "%s", err.msg);
    if (plan.proportion)
        printf("Detecting a %+.4g%% relative lift on a %.4g%% conversion rate\n", 100 * mde,
               100 * plan.baseline);
    else
        printf("Detecting a %+.4g%% relative lift on a mean of %.6g (sd %.6g)\n", 100 * mde,
               plan.baseline, plan.sd);
    printf("  alpha %.4g (two-sided), power %.4g, %ld variants\n", plan.alpha, plan.power,
           variants);
    if (plan.control_share > 0) {
        double na, nb;
        if (variants != 2)
            return cli_fail(CLI_USAGE, "power", "--split plans two arms, not %ld", variants);
        if (lift_stats_sample_sizes(&plan, mde, &na, &nb, &err) != LIFT_OK)
            return cli_fail(CLI_USAGE, "power", "%s", err.msg);
        printf("  split %g/%g (control/treatment)\n", plan.control_share, plan.treatment_share);
        print_count("control shoppers:", na);
        print_count("treatment shoppers:", nb);
        print_count("shoppers in total:", na + nb);
        print_count("equal arms, per arm:", n);
        if (daily > 0) {
            double need[] = {na, nb}, s = plan.control_share + plan.treatment_share;
            double rate[] = {daily * plan.control_share / s, daily * plan.treatment_share / s};
            int days = lift_stats_plan_days(need, rate, 2, 0);
            printf("  %-24s %d weeks (%d days at %.0f shoppers a day)\n", "duration:", days / 7,
                   days, daily);
        }
        return CLI_OK;
    }
    print_count("shoppers per variant:", n);
    print_count("shoppers in total:", n * (double)variants);
    if (daily <= 0)
        return CLI_OK;
    int days = lift_stats_duration_days(n, (int)variants, daily);
    printf("  %-24s %d weeks (%d days at %.0f shoppers a day; %.1f days of traffic, rounded "
           "up to whole weeks)\n",
           "duration:", days / 7, days, daily, ceil(n * (double)variants / daily));
    printf("Smallest detectable lift after\n");
    for (long w = weeks ? weeks : 1; w <= (weeks ? weeks : 8); w++) {
        double per_arm = floor(daily * 7 * (double)w / (double)variants), reach;
        if (lift_stats_mde(&plan, per_arm, &reach, &err) == LIFT_OK)
            printf("  %2ld week%s  %8.0f shoppers per variant   %+.3g%%\n", w, w == 1 ? " " : "s",
                   per_arm, 100 * reach);
        else
            printf("  %2ld week%s  %8.0f shoppers per variant   (%s)\n", w, w == 1 ? " " : "s",
                   per_arm, err.msg);
    }
    return CLI_OK;
}
