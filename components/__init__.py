"""ComponentResources for each tier of the platform, built from pulumi-aws primitives.

Each component lives in its own module with a frozen dataclass of arguments (every field documents
its default) and registers its children with `parent=self` and names `f"{name}-<role>"`, so tests
and the policy pack see every resource.
"""
