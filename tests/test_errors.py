"""The exception hierarchy: every class is a TfstarterError and its built-in."""

from __future__ import annotations

import pytest

from tfstarter import errors

BUILTIN_PARENT = {
    errors.ConfigError: ValueError,
    errors.ArgumentTypeError: TypeError,
    errors.DataError: ValueError,
    errors.DatasetNotFoundError: FileNotFoundError,
    errors.CorruptFileError: OSError,
    errors.ArtifactExistsError: FileExistsError,
    errors.ArtifactNotFoundError: FileNotFoundError,
    errors.UnsafeModelError: ValueError,
    errors.ExportError: RuntimeError,
    errors.VerificationError: RuntimeError,
    errors.TrainingError: RuntimeError,
}


def test_every_public_error_is_covered() -> None:
    public = {getattr(errors, name) for name in errors.__all__} - {
        errors.TfstarterError,
        errors.DataWarning,
    }
    assert public == set(BUILTIN_PARENT)


@pytest.mark.parametrize(("cls", "builtin"), BUILTIN_PARENT.items())
def test_catchable_as_tfstarter_error_and_builtin(
    cls: type[Exception], builtin: type[Exception]
) -> None:
    for catch in (errors.TfstarterError, builtin):
        with pytest.raises(catch, match="boom"):
            raise cls("boom")


def test_verification_error_is_an_export_error() -> None:
    with pytest.raises(errors.ExportError, match="max abs diff"):
        raise errors.VerificationError("max abs diff 0.3 > 1e-5")


def test_data_warning_is_a_user_warning_not_an_error() -> None:
    assert issubclass(errors.DataWarning, UserWarning)
    assert not issubclass(errors.DataWarning, errors.TfstarterError)
