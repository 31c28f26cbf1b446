import warnings

import pytest


@pytest.fixture(autouse=True)
def _numpy_warnings_as_errors():
    """The checker must catch overflow warnings itself, even where warnings are errors."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield
