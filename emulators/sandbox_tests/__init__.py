"""The emulators' own tests: each holds an emulator to the platform it stands in for.

A package named apart from the product's ``tests`` (both are importable: pytest's ``pythonpath``
holds the checkout root and ``emulators/``), so product tests may reuse its helpers by name.
"""
