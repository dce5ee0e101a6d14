"""The leaderboard's rules: the default suite, page caching, submissions' review and quotas, votes, the hub checks."""

from config.settings.base import env

# DEFAULT_SUITE: the suite ranked at /; default medical.
DEFAULT_SUITE = env.str("DEFAULT_SUITE", default="medical")
# RANKING_CACHE_SECONDS: seconds a rendered ranking or sample page is kept (per process; a ranking change
# retires it at once), 0: never cached; default 300.
RANKING_CACHE_SECONDS = env.int("RANKING_CACHE_SECONDS", default=300)
# SUBMISSIONS_NEED_REVIEW: valid submissions wait for a moderator (true) or are queued at once (false);
# default true.
SUBMISSIONS_NEED_REVIEW = env.bool("SUBMISSIONS_NEED_REVIEW", default=True)
# SUBMISSION_QUOTA_PER_USER, SUBMISSION_QUOTA_PER_ORG: submissions per user and per hub organisation in any
# rolling window of SUBMISSION_QUOTA_DAYS (staff and trusted organisations are exempt; moderators set other
# limits in the admin); defaults 5, 5 and 7 days.
SUBMISSION_QUOTA_PER_USER = env.int("SUBMISSION_QUOTA_PER_USER", default=5)
SUBMISSION_QUOTA_PER_ORG = env.int("SUBMISSION_QUOTA_PER_ORG", default=5)
SUBMISSION_QUOTA_DAYS = env.int("SUBMISSION_QUOTA_DAYS", default=7)
# VOTE_MIN_ACCOUNT_DAYS: a vote counts in the queue's order only from an account at least this many days old (and
# with a verified email address or a hub login: accounts.policy.counted_voters); default 7.
VOTE_MIN_ACCOUNT_DAYS = env.float("VOTE_MIN_ACCOUNT_DAYS", default=7.0)
# SUBMISSION_MAX_PARAMS_16BIT: parameters of the largest model in 16-bit precision (32-bit half as many,
# 8bit twice, 4bit and 4-bit GPTQ four times); default 100e9. Read as a string: env.float drops exponents.
SUBMISSION_MAX_PARAMS_16BIT = int(float(env.str("SUBMISSION_MAX_PARAMS_16BIT", default="100e9")))
# CHECKS_CLUSTER: the django-q2 cluster (CPU queue, on the web host) that runs the hub checks and builds each
# finished run's download into DATA_DIR/downloads: run it with `Q_CLUSTER_NAME=checks manage.py qcluster`
# beside the site (`make run` does); default "checks".
CHECKS_CLUSTER = env.str("CHECKS_CLUSTER", default="checks")
# CHECKS_TIMEOUT_S: wall-clock seconds the checks child of one submission may take; default 120.
CHECKS_TIMEOUT_S = env.int("CHECKS_TIMEOUT_S", default=120)
# CHECKS_CPU_S: CPU seconds the checks child may use (RLIMIT_CPU); default 60.
CHECKS_CPU_S = env.int("CHECKS_CPU_S", default=60)
# CHECKS_MEMORY_MB: address space of the checks child in MiB (RLIMIT_AS); default 4096.
CHECKS_MEMORY_MB = env.int("CHECKS_MEMORY_MB", default=4096)
# CHECKS_MAX_FILE_MB: the largest file (card, config, tokenizer) the checks download or read, in MiB; default 40.
CHECKS_MAX_FILE_MB = env.int("CHECKS_MAX_FILE_MB", default=40)
# CHECKS_ATTEMPTS: tries for checks that could not run (hub down, a limit hit) before the submission is
# refused saying so; default 3.
CHECKS_ATTEMPTS = env.int("CHECKS_ATTEMPTS", default=3)
# CHECKS_RETRY_S: seconds between those tries; default 30.
CHECKS_RETRY_S = env.int("CHECKS_RETRY_S", default=30)
