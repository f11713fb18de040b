"""Whether a value is a secret, judged by the value as well as by the name it is stored under.

Names alone raise false alarms: an ARN pointing at a secret, Django settings such as
PASSWORD_RESET_TIMEOUT or PASSWORD_HASHERS, a publishable Stripe key, a URL stored under
`..._URL_TOKEN`. Values alone miss a password in a plain-looking variable. So a value is reported
when it carries a credential by its shape (a URL with a password in it, a known key format), or when
its name says secret and the value is not one of the shapes that are plainly no secret.
"""

from __future__ import annotations

import base64
import binascii
import re
import shlex
from collections.abc import Iterable

from .props import word_parts

SECRET_WORDS = frozenset(
    {
        "PASSWORD",
        "PASSWORDS",
        "PASSWD",
        "PWD",
        "PASS",
        "PASSPHRASE",
        "SECRET",
        "SECRETS",
        "TOKEN",
        "TOKENS",
        "KEY",
        "KEYS",
        "APIKEY",
        "PRIVATEKEY",
        "CREDENTIAL",
        "CREDENTIALS",
        "CREDS",
    }
)

# A name whose last word is one of these names a thing about a secret, not the secret itself
# (SECRET_ARN, DB_PASSWORD_FILE, KMS_KEY_ID, JWT_TOKEN_TTL, ..._TOKEN_INTROSPECTION_URL).
DESCRIPTIVE_LAST_WORDS = frozenset(
    {
        "ARN",
        "ID",
        "IDS",
        "NAME",
        "PATH",
        "FILE",
        "URL",
        "URI",
        "ENDPOINT",
        "HOST",
        "PORT",
        "PREFIX",
        "LENGTH",
        "TIMEOUT",
        "TTL",
        "EXPIRY",
        "LIFETIME",
        "AGE",
        "HEADER",
        "ALGORITHM",
        "VALIDATORS",
        "HASHERS",
        "BACKEND",
        "REGION",
        "VERSION",
        "ENABLED",
        "REQUIRED",
        "TYPE",
        "FIELD",
        "COOKIE",
        "PARAM",
        "ROTATION",
    }
)
# Public by design: Stripe publishable keys, reCAPTCHA site keys, VAPID public keys.
PUBLIC_WORDS = frozenset({"PUBLIC", "PUBLISHABLE", "PUB", "SITE"})
KEY_WORDS = frozenset({"KEY", "KEYS", "APIKEY"})
PUBLIC_VALUE_PREFIXES = ("pk_live_", "pk_test_", "pub-", "pub_")

# Credentials recognisable by their format whatever they are called.
KNOWN_FORMATS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("an AWS access key id", re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a private key", re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----")),
    ("a Stripe secret key", re.compile(r"\b[rs]k_(?:live|test)_[0-9A-Za-z]{10,}")),
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[0-9A-Za-z]{20,}|github_pat_[0-9A-Za-z_]{20,})")),
    ("a GitLab token", re.compile(r"\bglpat-[0-9A-Za-z_-]{20}")),
    ("a Slack token", re.compile(r"\bxox[abposr]-[0-9A-Za-z-]{10,}")),
    ("a Slack webhook", re.compile(r"hooks\.slack\.com/services/[A-Z0-9]+/[A-Z0-9]+/[0-9A-Za-z]+")),
    ("a JSON Web Token", re.compile(r"\beyJ[0-9A-Za-z_-]{8,}\.eyJ[0-9A-Za-z_-]{8,}\.[0-9A-Za-z_-]*")),
    ("a SendGrid key", re.compile(r"\bSG\.[0-9A-Za-z_-]{16,}\.[0-9A-Za-z_-]{16,}")),
)

_URL_USERINFO = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.-]*)://([^/\s:@]*):([^/\s@]+)@")
_URL_SECRET_QUERY = re.compile(
    r"[?&;](password|passwd|pwd|pass|secret|token|api_?key|access_token|auth_token|client_secret)=([^&\s#]+)",
    re.IGNORECASE,
)
# Expanded at run time, so no secret in the text: $VAR, ${VAR}, $(command), `command`, {{resolve:...}}.
# Placeholders such as "xxx" or "changeme" are not references: in a deployed resource they are the
# (weak) secret itself.
_REFERENCE = re.compile(r"^(\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\$\(.*\)|`.*`|\{\{.*\}\})$", re.S)
_NUMBER = re.compile(r"^-?\d+(\.\d+)?[smhdSMHD]?$")
_DOTTED = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)+$")
_NOT_SECRET_LITERALS = frozenset(
    {"", "true", "false", "yes", "no", "on", "off", "none", "null", "disabled", "enabled"}
)


def is_reference(value: str) -> bool:
    """`$VAR`, `${VAR}`, `$(...)`, `{{resolve:...}}`: expanded at run time, no secret in the text."""
    return bool(_REFERENCE.match(value.strip()))


def secret_name(name: str) -> bool:
    """Whether the name says it holds a secret: PASSWORD, PWD, TOKEN, KEY... as a word, not followed
    by a word that makes it a description (…_ARN, …_FILE, …_URL), and not a public key."""
    parts = word_parts(name)
    if not parts or not any(p in SECRET_WORDS for p in parts):
        return False
    if parts[-1] in DESCRIPTIVE_LAST_WORDS:
        return False
    # A public or site KEY (Stripe publishable, reCAPTCHA site, VAPID public) is published by design;
    # a name that also says SECRET, PASSWORD or TOKEN is not.
    public_key = any(p in PUBLIC_WORDS for p in parts) and not any(
        p in SECRET_WORDS - KEY_WORDS for p in parts
    )
    return not public_key


def credential_in_value(value: str) -> str | None:
    """What credential the value carries by its shape, whatever it is named: a password in a URL,
    a secret query parameter, a known key format."""
    for match in _URL_USERINFO.finditer(value):
        password = match.group(3)
        if not is_reference(password):
            return f"a password inside a {match.group(1)}:// URL"
    for match in _URL_SECRET_QUERY.finditer(value):
        if not is_reference(match.group(2)):
            return f"a {match.group(1)} query parameter inside a URL"
    for what, pattern in KNOWN_FORMATS:
        if pattern.search(value):
            return what
    return None


def plainly_not_secret(value: str) -> bool:
    """Shapes no secret has: empty, a boolean or number, an ARN or Secrets Manager/SSM pointer, a URL
    without credentials, a dotted Python path (django.contrib.auth...), a file path, a placeholder,
    a publishable key."""
    text = value.strip()
    if text.lower() in _NOT_SECRET_LITERALS or _NUMBER.match(text) or is_reference(text):
        return True
    if text.startswith(("$", "`")):
        return True  # the start of a shell expansion split off a command line
    if text.startswith(("arn:aws", "arn:aws-", "ssm:", "secretsmanager:", "/run/secrets/", "file://")):
        return True
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", text) and credential_in_value(text) is None:
        return True
    if text.startswith(("/", "./")) and " " not in text:
        return True
    if _DOTTED.match(text):
        return True  # a Python path such as django.contrib.auth.hashers.Argon2PasswordHasher
    return text.startswith(PUBLIC_VALUE_PREFIXES)


def judge_pair(name: str, value: str) -> str | None:
    """Why `name=value` holds a secret in plain text, or None."""
    carried = credential_in_value(value)
    if carried:
        return carried
    if secret_name(name) and not plainly_not_secret(value):
        return "a secret by its name, and its value is not a reference or a non-secret setting"
    return None


def _flag_name(flag: str) -> str:
    return flag.lstrip("-").split("=", 1)[0].replace("-", "_")


SECRET_FLAG_HINTS = (
    "pass",
    "secret",
    "token",
    "apikey",
    "api_key",
    "credential",
    "masterauth",
    "private_key",
)


def _secret_flag(flag: str) -> bool:
    name = _flag_name(flag).lower()
    descriptive = name.rsplit("_", 1)[-1].upper() in DESCRIPTIVE_LAST_WORDS or name.endswith("file")
    return any(hint in name for hint in SECRET_FLAG_HINTS) and not descriptive


def judge_command(words: Iterable[str]) -> list[str]:
    """Secrets in a command line: `--requirepass <value>`, `--password=<value>`, `export PWD_X=...`
    inside `sh -c`, a URL with a password. A `$VAR` reference is fine (the shell expands it)."""
    tokens: list[str] = []
    for word in words:
        try:
            tokens += shlex.split(word, posix=True) if " " in word else [word]
        except ValueError:
            tokens += word.split()
    found: list[str] = []
    for index, token in enumerate(tokens):
        carried = credential_in_value(token)
        if carried:
            found.append(f"{carried} ({_mask(token)})")
            continue
        if token.startswith("-") and _secret_flag(token):
            if "=" in token:
                value = token.split("=", 1)[1]
            elif index + 1 < len(tokens) and not tokens[index + 1].startswith("-"):
                value = tokens[index + 1]
            else:
                continue
            if not plainly_not_secret(value):
                found.append(f"{token.split('=', 1)[0]} followed by a literal value")
            continue
        if "=" in token and not token.startswith("-"):
            name, value = token.split("=", 1)
            if re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name) and judge_pair(name, value):
                found.append(f"{name}=<literal value>")
    return found


def judge_text(text: str) -> list[str]:
    """Secrets in a script or config text (EC2 user data): `NAME=value`, `NAME: value`, command
    flags, URLs with passwords, known key formats. Base64 user data is decoded first."""
    decoded = decode_base64(text)
    if decoded is not None:
        text = decoded
    found: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = re.match(r"^(?:export\s+|set\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*[:=]\s*(.+)$", stripped)
        if match:
            value = match.group(2).strip().strip("'\"")
            reason = judge_pair(match.group(1), value)
            if reason:
                found.append(f"{match.group(1)} ({reason})")
                continue
        found += judge_command([stripped])
    return found


def decode_base64(text: str) -> str | None:
    compact = "".join(text.split())
    if len(compact) < 8 or not re.fullmatch(r"[A-Za-z0-9+/]+={0,2}", compact):
        return None
    try:
        return base64.b64decode(compact, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None


def _mask(token: str) -> str:
    return _URL_USERINFO.sub(lambda m: f"{m.group(1)}://{m.group(2)}:****@", token)
