"""The only cache decorators, one module per subject; pages import from here, ui/ and pipeline/ never do."""
