"""Stack settings: every config key the program reads, typed, defaulted and validated.

`Pulumi.yaml` declares each key (type, description, default); each component's config type owns its
one validator. `load_settings` reads the stack's values onto those types and checks them before any
resource exists. All problems are reported at once, in one `pulumi.RunError` whose lines name the
key, the value received and what is allowed, so `pulumi up` stops with a message and no traceback.

The package, in layers (each imports only those above it in this list):
- `reader`: keys as Pulumi.yaml declares them, the reader that collects every problem, stray keys;
- `stack`: who the stack is (`StackSettings`, `DataSettings`) and `Settings`, what the program gets;
- `keys`: where each key goes, field by field, for every component's config (`CONFIG_KEY_MAPS`);
- `profile`: what `stackProfile: production` demands, in one table (`PROFILE_RULES`);
- `checks`: the stack's region, AWS's catalogs, rules across components, placeholders;
- this module: `load_settings`, which runs them in that order.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from . import checks, keys
from .profile import apply_profile
from .reader import DeclaredKey, Reader, declared_keys, stray_keys
from .stack import DataSettings, Settings, StackSettings, read_data, read_stack

# What the program and the tests use; the layers' own names are imported from their modules.
__all__ = ["DataSettings", "DeclaredKey", "Settings", "StackSettings", "declared_keys", "load_settings"]


def load_settings(
    config: pulumi.Config | None = None, declared: Mapping[str, DeclaredKey] | None = None
) -> Settings:
    """Read and validate every setting, or stop the program with one message listing all problems."""
    config = config or pulumi.Config()
    declared = declared if declared is not None else declared_keys()
    r = Reader(config, declared)

    region = checks.read_region(r)
    stack = read_stack(r)
    settings = Settings(
        stack=stack,
        network=keys.read_network(r),
        data=read_data(r),
        kms=keys.read_kms(r),
        database=keys.read_database(r),
        cache=keys.read_cache(r),
        storage=keys.read_storage(r),
        bastion=keys.read_bastion(r),
        app=(app := keys.read_app(r)),
        load_balancer=keys.read_load_balancer(r),
        workload_security_groups=keys.read_workload_security_groups(r),
        edge=keys.read_edge(r),
        observability=keys.read_observability(r),
        registry=keys.read_registry(r, app),
        discovery=keys.read_discovery(r),
    )
    checks.check_stack_region(r, settings)
    checks.cross_checks(r, settings)
    apply_profile(r, stack.profile)
    placeholders = checks.placeholders(r, settings)
    if placeholders and pulumi.runtime.is_dry_run():
        # One code path for `pulumi preview`, `make plan` and `pulumi up`: a preview may show what
        # would be built; an update must not build it on names nobody owns.
        pulumi.log.warn("placeholders a real `pulumi up` refuses; set them first: " + "; ".join(placeholders))
    else:
        r.errors += [f"{p}: a placeholder; set the real value before `pulumi up`" for p in placeholders]
    checks.check_against_aws(r, settings, region)
    r.errors.extend(stray_keys(config.name, declared))

    unread = set(declared) - r.read
    if unread:
        raise KeyError(f"Pulumi.yaml declares keys the settings never read: {sorted(unread)}")

    if r.errors:
        raise pulumi.RunError(
            f"invalid configuration for stack '{settings.stack.stack}':\n  - " + "\n  - ".join(r.errors)
        )
    return settings
