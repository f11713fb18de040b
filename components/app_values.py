"""Values of the application tier and their per-value checks, shared by the configs of the Django
services and of the load balancer (and by settings/checks.py): Fargate sizes, image
references, Python paths, schedules, ARNs, ids and host names. A leaf under both components, so
neither imports the other; no Pulumi imports, so that reading the settings does not load the AWS SDK."""

from __future__ import annotations

import re

# CPU units -> the memory sizes (MiB) Fargate accepts with that much CPU.
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}

CPU_ARCHITECTURES = ("ARM64", "X86_64")
CONTAINER_INSIGHTS = ("enabled", "enhanced", "disabled")
CERTIFICATE_ARN = re.compile(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]+$")
SECURITY_GROUP_ID = re.compile(r"^sg-[0-9a-f]{8,17}$")
# A fully qualified host name in lower case: labels of letters, digits and inner hyphens, at least two,
# no trailing dot. The one rule for public host names (the site, the ALB's origin name) and for the
# private zone Cloud Map creates for a DNS namespace: Route 53 takes both the same way.
HOST_NAME = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$")
PYTHON_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
WSGI_CALLABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$")


def fargate_size_problem(cpu: int, memory: int) -> str | None:
    """Why Fargate would refuse this CPU/memory pair, or None when it accepts it."""
    if cpu not in FARGATE_SIZES:
        return f"CPU {cpu} is not a Fargate size; use one of {', '.join(map(str, FARGATE_SIZES))}"
    allowed = FARGATE_SIZES[cpu]
    if memory not in allowed:
        if len(allowed) <= 8:
            choices = ", ".join(map(str, allowed))
        else:
            choices = f"{allowed[0]} to {allowed[-1]} in steps of {allowed[1] - allowed[0]}"
        return f"memory {memory} MiB does not fit CPU {cpu}; with CPU {cpu} use {choices}"
    return None


# `name:tag` or `name@sha256:<digest>`; the tag must pin a release, so `latest` is refused.
_IMAGE_REFERENCE = re.compile(
    r"^(?P<repository>[a-z0-9][a-z0-9._-]*(?::[0-9]+)?(?:/[a-z0-9][a-z0-9._/-]*)?)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})|@(?P<digest>sha256:[0-9a-f]{64}))$"
)
_ECR_REPOSITORY = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/(?P<name>[^:@]+)"
)


def image_reference_problem(image: str) -> str | None:
    """Why this image reference cannot be deployed reproducibly, or None when it can."""
    match = _IMAGE_REFERENCE.match(image)
    if not match:
        return "expected <registry>/<repository>:<tag> or <registry>/<repository>@sha256:<digest>"
    if match.group("tag") == "latest":
        return (
            "'latest' moves: a rollback or a new task would run whatever it points to now; "
            "pin a release tag or a digest"
        )
    return None


def ecr_repository_arn(image: str) -> str | None:
    """ARN of the ECR repository an image URI lives in, or None for other registries."""
    match = _ECR_REPOSITORY.match(image)
    if not match:
        return None
    partition = "aws-cn" if ".amazonaws.com.cn/" in image else "aws"
    return f"arn:{partition}:ecr:{match['region']}:{match['account']}:repository/{match['name']}"


# Application Auto Scaling scheduled actions: `at(yyyy-mm-ddThh:mm:ss)`, `rate(value unit)` or
# `cron(minutes hours day-of-month month day-of-week year)`. Its cron has six fields, not the five
# of crontab, and exactly one of the two day fields must be `?`.
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
# name, lowest, highest, names standing for numbers from `lowest`, special forms the field allows
_CRON_FIELDS: tuple[tuple[str, int, int, tuple[str, ...], str], ...] = (
    ("minutes", 0, 59, (), ""),
    ("hours", 0, 23, (), ""),
    ("day-of-month", 1, 31, (), r"\?|L|L-\d{1,2}|\d{1,2}W|LW"),
    ("month", 1, 12, _MONTHS, ""),
    ("day-of-week", 1, 7, _DAYS, r"\?|L|\w{1,3}L|\w{1,3}#[1-5]"),
    ("year", 1970, 2199, (), ""),
)
_AT = re.compile(r"at\(\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\)")
_RATE = re.compile(r"rate\(([1-9]\d*) (minutes?|hours?|days?)\)")


def _cron_value_ok(text: str, lowest: int, highest: int, names: tuple[str, ...]) -> bool:
    if text.upper() in names:
        return True
    return text.isdigit() and lowest <= int(text) <= highest


def _cron_field_ok(text: str, lowest: int, highest: int, names: tuple[str, ...], special: str) -> bool:
    for part in text.split(","):
        if special and re.fullmatch(special, part, re.IGNORECASE):
            continue
        base, slash, step = part.partition("/")
        if slash and not (step.isdigit() and int(step) >= 1):
            return False
        if base == "*":
            continue
        first, dash, last = base.partition("-")
        if not _cron_value_ok(first, lowest, highest, names):
            return False
        if dash and not _cron_value_ok(last, lowest, highest, names):
            return False
    return True


def schedule_problem(expression: str) -> str | None:
    """Why Application Auto Scaling would refuse this schedule, or None when it accepts it."""
    example = "e.g. cron(0 20 * * ? *) (minutes hours day-of-month month day-of-week year)"
    if _AT.fullmatch(expression) or _RATE.fullmatch(expression):
        return None
    match = re.fullmatch(r"cron\((.*)\)", expression.strip())
    if not match:
        if len(expression.split()) in (5, 6):
            return f"a bare crontab line; Application Auto Scaling wants cron(...) with six fields, {example}"
        return f"expected cron(...), rate(<n> <minutes|hours|days>) or at(yyyy-mm-ddThh:mm:ss), {example}"
    fields = match.group(1).split()
    if len(fields) != 6:
        return (
            f"{len(fields)} fields; Application Auto Scaling's cron has six, the year last "
            f"(crontab's five-field form is refused), {example}"
        )
    for text, (name, lowest, highest, names, special) in zip(fields, _CRON_FIELDS, strict=True):
        if not _cron_field_ok(text, lowest, highest, names, special):
            span = f"{lowest}-{highest}" + (f" or {names[0]}-{names[-1]}" if names else "")
            return f"{name} field {text!r} is not a value Application Auto Scaling reads ({span}), {example}"
    if (fields[2] == "?") == (fields[4] == "?"):
        return f"exactly one of day-of-month and day-of-week must be '?', {example}"
    return None
