"""The public surface is exactly what the docs promise, and nothing private leaks."""

from __future__ import annotations

import importlib
import pkgutil
import re
import types
from pathlib import Path

import pytest

import tfstarter

# The documented public names of each package (docs/api/*.md). A change here is
# an API change: update the docs and the changelog with it.
DOCUMENTED: dict[str, set[str]] = {
    "tfstarter": {
        "Trainer",
        "__version__",
        "data",
        "datasets",
        "errors",
        "export",
        "models",
        "report",
        "training",
    },
    "tfstarter.errors": {
        "ArgumentTypeError",
        "ArtifactExistsError",
        "ArtifactNotFoundError",
        "ConfigError",
        "CorruptFileError",
        "DataError",
        "DataWarning",
        "DatasetNotFoundError",
        "ExportError",
        "TfstarterError",
        "TrainingError",
        "UnsafeModelError",
        "VerificationError",
    },
    "tfstarter.data": {
        "CSV_NA_VALUES",
        "CsvSchema",
        "from_arrays",
        "from_csv",
        "from_image_directory",
        "from_tfrecord",
        "split",
        "write_tfrecord",
    },
    "tfstarter.models": {
        "CNN_FASHION_RECIPE",
        "CNN_LONG_RECIPE",
        "CNN_RECIPE",
        "DENSE_RECIPE",
        "OneCycle",
        "RECIPES",
        "Recipe",
        "cnn",
        "dense",
        "linear",
        "logistic",
        "recipe",
    },
    "tfstarter.export": {
        "Bundle",
        "DEFAULT_TOLERANCES",
        "INPUT_NAME",
        "OUTPUT_NAME",
        "Predictor",
        "SERVING_SIGNATURE",
        "Tolerance",
        "VerificationReport",
        "bundle",
        "check_bundle",
        "h5",
        "keras",
        "load",
        "onnx",
        "saved_model",
        "tflite",
        "verify",
    },
    "tfstarter.training": {
        "AUTO_STEPS_PER_EXECUTION",
        "Callback",
        "GradientClipping",
        "LearningRateFinding",
        "Trainer",
        "TrainerOptions",
        "XlaStatus",
        "auto_strategy",
        "find_learning_rate",
    },
    "tfstarter.cli": {"main"},
    "tfstarter.report": {
        "ClassScores",
        "ReportInputs",
        "best_epoch",
        "class_scores",
        "confident_mistakes",
        "confusion_matrix",
        "learning_curves",
        "learning_rate_curve",
        "mistakes_grid",
        "predicted_classes",
        "predicted_vs_actual",
        "read_metrics_csv",
        "residuals",
        "write_report",
    },
    "tfstarter.launch": {
        "DEFAULT_GRACE_PERIOD",
        "free_ports",
        "launch",
        "main",
        "tf_config",
    },
    "tfstarter.datasets": {
        "DATA_DIR_ENV",
        "FASHION_MNIST_CLASSES",
        "SyntheticClassification",
        "SyntheticRegression",
        "fashion_mnist",
        "mnist",
        "synthetic_classification",
        "synthetic_regression",
    },
}


def public_modules() -> list[str]:
    names = ["tfstarter"]
    for info in pkgutil.walk_packages(tfstarter.__path__, prefix="tfstarter."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return sorted(names)


def test_every_public_module_is_documented() -> None:
    assert set(public_modules()) == set(DOCUMENTED)


@pytest.mark.parametrize("module_name", sorted(DOCUMENTED))
def test_all_is_exactly_the_documented_surface(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert set(module.__all__) == DOCUMENTED[module_name]
    assert len(module.__all__) == len(set(module.__all__)), "duplicates in __all__"


@pytest.mark.parametrize("module_name", sorted(DOCUMENTED))
def test_every_exported_name_resolves_and_none_is_private(module_name: str) -> None:
    module = importlib.import_module(module_name)
    for name in module.__all__:
        value = getattr(module, name)
        assert name == "__version__" or not name.startswith("_")
        if isinstance(value, types.ModuleType):
            assert not any(p.startswith("_") for p in value.__name__.split("."))
        owner = getattr(value, "__module__", None)
        if isinstance(owner, str) and owner.startswith("tfstarter"):
            # Defined in a private module is fine; being *named* privately is not.
            assert not name.startswith("_") or name == "__version__"


def test_version_is_pep440_string() -> None:
    assert isinstance(tfstarter.__version__, str)
    parts = tfstarter.__version__.split(".")
    assert len(parts) >= 3 and all(p.isdigit() for p in parts[:2])


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(
        AttributeError, match="module 'tfstarter' has no attribute 'nope'"
    ):
        _ = tfstarter.nope  # type: ignore[attr-defined]


def test_dir_lists_the_lazy_subpackages() -> None:
    assert set(tfstarter.__all__) <= set(dir(tfstarter))


API_DOCS = Path(__file__).resolve().parents[2] / "docs" / "api"
# Modules rendered as a whole by one ``::: module`` directive.
WHOLE_MODULE_PAGES = {"tfstarter", "tfstarter.errors"}


def api_reference_directives() -> set[str]:
    directives: set[str] = set()
    for page in API_DOCS.glob("*.md"):
        directives |= set(re.findall(r"^::: ([\w.]+)", page.read_text(), re.MULTILINE))
    return directives


@pytest.mark.parametrize(
    ("module", "name"),
    [
        (module, name)
        for module, names in sorted(DOCUMENTED.items())
        if module not in WHOLE_MODULE_PAGES
        for name in sorted(names)
    ],
)
def test_every_public_name_has_an_api_reference_entry(module: str, name: str) -> None:
    assert f"{module}.{name}" in api_reference_directives()


def test_whole_module_pages_exist() -> None:
    assert api_reference_directives() >= WHOLE_MODULE_PAGES
