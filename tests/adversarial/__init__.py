"""Adversarial tests of the foundation: a hostile user's configuration, lifecycle, floods and
process groups. A test marked `xfail(strict=True)` pins an open defect (its reason names the code
and the cause); the fix makes it pass, and strict mode then fails the suite until the marker is
removed. Unmarked tests record what held up."""
