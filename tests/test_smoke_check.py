"""The deploy's smoke check accepts only the release it deployed."""

from __future__ import annotations

import json

import pytest

from scripts.smoke_check import check, judge, main

DIGEST = "sha256:" + "a" * 64
OLD = "sha256:" + "b" * 64


def health(digest: str = DIGEST, **extra: str) -> str:
    return json.dumps(
        {"status": "ok", "digest": digest, "image": f"r/app@{digest}", "release": "abc", **extra}
    )


def test_the_new_release_passes() -> None:
    verdict = judge(200, health(), DIGEST)
    assert verdict.ok and DIGEST in verdict.reason and "abc" in verdict.reason


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (200, health(OLD), f"serving {OLD}, not {DIGEST}"),
        (502, "<html>Bad Gateway</html>", "HTTP 502"),
        (200, "<html>maintenance</html>", "not JSON"),
        (200, "[]", "not a JSON object"),
        (200, json.dumps({"status": "starting", "digest": DIGEST}), "status 'starting'"),
        (200, json.dumps({"status": "ok", "image": "r/app:1.0.0"}), "an image without a digest"),
    ],
)
def test_anything_else_fails_with_the_reason(status: int, body: str, reason: str) -> None:
    verdict = judge(status, body, DIGEST)
    assert not verdict.ok and reason in verdict.reason


def test_the_digest_may_come_from_the_image_reference_alone() -> None:
    assert judge(200, json.dumps({"status": "ok", "image": f"r/app@{DIGEST}"}), DIGEST).ok


def test_it_retries_while_old_tasks_answer() -> None:
    answers = iter([(200, health(OLD)), (503, ""), (200, health())])
    waits: list[float] = []
    assert check(
        "https://x/health/", DIGEST, attempts=5, delay=2, get=lambda _u, _t: next(answers), sleep=waits.append
    )
    assert waits == [2, 2]


def test_it_gives_up_after_the_attempts() -> None:
    def refused(_url: str, _timeout: float) -> tuple[int, str]:
        raise OSError("connection refused")

    assert not check("https://x/health/", DIGEST, attempts=3, delay=0, get=refused, sleep=lambda _s: None)


def test_bad_arguments_stop_before_any_request(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--url", "https://x/health/", "--digest", "latest"])
    assert exited.value.code == 2
    assert "expected sha256:" in capsys.readouterr().err
