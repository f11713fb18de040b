"""ServicesConfig's one validator, without Pulumi resources: each rule refuses its value naming the
field, the value and the fix; a valid config constructs and keeps what observability reads."""

from __future__ import annotations

from typing import Any

import pytest

from components.django_service import ServiceScaling, ServicesConfig
from components.django_service.config import HEALTH_CHECK_GRACE_PERIOD_MAX_SECONDS
from tests._app_tier import IMAGE, SERVICES_CONFIG, services_config


def refusal(**changes: Any) -> list[str]:
    """The problems of a config with these changes, as `field value: fix` lines; construction
    refuses them all in one error."""
    problems = [str(p) for p in ServicesConfig.problems({**SERVICES_CONFIG, **changes})]
    with pytest.raises(ValueError) as refused:
        services_config(**changes)
    assert str(refused.value) == "invalid ServicesConfig: " + "; ".join(problems)
    return problems


@pytest.mark.parametrize(
    ("changes", "line"),
    [
        ({"image": None}, "image '': set exactly one of appImage"),
        ({"docker_context": "./app"}, f"image {IMAGE!r}: set exactly one"),
        ({"image": "epicvibe:latest"}, "image 'epicvibe:latest': 'latest' moves"),
        ({"image": "epicvibe"}, "image 'epicvibe': expected <registry>/<repository>:<tag>"),
        ({"container_port": 80}, "container_port 80: expected a whole number from 1024 to 65535"),
        ({"django_settings_module": "config/settings"}, "django_settings_module 'config/settings': expected a Python path"),
        ({"wsgi_application": "config.wsgi"}, "wsgi_application 'config.wsgi': expected a Python path such as config.wsgi:application"),
        ({"celery_app": "1config"}, "celery_app '1config': expected a Python path"),
        ({"cpu_architecture": "arm64"}, "cpu_architecture 'arm64': allowed: 'ARM64', 'X86_64'"),
        ({"web_cpu_units": 300}, "web_cpu_units 300: allowed: 256, 512"),
        ({"worker_cpu_units": 512, "worker_memory_mib": 8192}, "worker_memory_mib 8192: memory 8192 MiB does not fit CPU 512"),
        ({"web_min_tasks": 0}, "web_min_tasks 0: expected a whole number from 1 to 1000"),
        ({"worker_min_tasks": -1}, "worker_min_tasks -1: expected a whole number from 0 to 1000"),
        ({"worker_max_tasks": 0}, "worker_max_tasks 0: expected a whole number from 1 to 1000"),
        ({"web_max_tasks": 1001}, "web_max_tasks 1001: expected a whole number from 1 to 1000"),
        ({"web_min_tasks": 4, "web_max_tasks": 3}, "web_max_tasks 3: expected at least the minimum task count (4)"),
        ({"worker_cpu_target_percent": 95}, "worker_cpu_target_percent 95: expected a whole number from 10 to 90"),
        ({"web_requests_per_target": 5}, "web_requests_per_target 5: expected a whole number from 10 to 100000"),
        ({"fargate_spot_weight": -1}, "fargate_spot_weight -1: expected a whole number from 0 to 1000"),
        ({"container_insights": "on"}, "container_insights 'on': allowed: 'enabled', 'enhanced', 'disabled'"),
        ({"health_check_grace_period_seconds": -1}, "health_check_grace_period_seconds -1: expected a whole number from 0 to 1800"),
        ({"nightly_scale_down_cron": "0 20 * * *"}, "nightly_scale_down_cron '0 20 * * *': a bare crontab line"),
        ({"nightly_scale_up_cron": "cron(0 6 ? * MON-FRI)"}, "nightly_scale_up_cron 'cron(0 6 ? * MON-FRI)': 5 fields"),
        ({"schedule_timezone": "Mars/Olympus"}, "schedule_timezone 'Mars/Olympus': expected an IANA time zone"),
    ],
)  # fmt: skip
def test_each_rule_refuses_naming_field_value_and_fix(changes: dict[str, Any], line: str) -> None:
    problems = refusal(**changes)
    assert len(problems) == 1, problems
    assert problems[0].startswith(line), problems[0]


def test_every_problem_is_reported_at_once() -> None:
    problems = refusal(container_port=80, web_cpu_units=300, schedule_timezone="Nowhere")
    assert [p.split(" ", 1)[0] for p in problems] == ["container_port", "schedule_timezone", "web_cpu_units"]


def test_grace_period_is_capped_at_half_an_hour_within_the_ecs_api_limit() -> None:
    # ECS would take up to 2,147,483,647 seconds, and replace no failing web task for that long.
    assert HEALTH_CHECK_GRACE_PERIOD_MAX_SECONDS == 1800 < 2_147_483_647
    assert services_config(health_check_grace_period_seconds=1800).health_check_grace_period_seconds == 1800
    assert refusal(health_check_grace_period_seconds=1801)


def test_a_valid_config_constructs_with_each_workloads_scaling() -> None:
    config = services_config(web_min_tasks=3, web_max_tasks=9, worker_cpu_units=1024, worker_memory_mib=2048)
    assert ServicesConfig.problems(SERVICES_CONFIG) == []
    assert config.web == ServiceScaling(cpu=512, memory=1024, min_tasks=3, max_tasks=9, cpu_target_percent=60)
    assert (config.worker.cpu, config.worker.memory) == (1024, 2048)


def test_web_wanted_slots_follow_the_nightly_schedule() -> None:
    assert services_config(nightly_scale_down=False).web_wanted_slots is None
    slots = services_config(nightly_scale_down=True).web_wanted_slots
    assert slots is not None
    # Up at 06:00 UTC Monday to Friday, down at 20:00 every day.
    assert (1, 12) in slots and (1, 21) not in slots
    assert not any(day == 7 for day, _ in slots)
