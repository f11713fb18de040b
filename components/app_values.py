"""Values of the application tier that both settings.py (to refuse them before any resource exists)
and the components check: Fargate sizes, image references, ARNs and ids. No Pulumi imports, so that
reading the settings does not load the AWS SDK."""

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
