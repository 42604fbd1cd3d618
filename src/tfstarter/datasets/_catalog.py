"""Where each real dataset lives: file names, checksums and download sources."""

from __future__ import annotations

from dataclasses import dataclass

# Keras hosts copies of both datasets; using its mirror keeps the download
# behaviour identical to keras.datasets.
KERAS_MIRROR = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


@dataclass(frozen=True)
class IdxFile:
    """One IDX file of a dataset split.

    Attributes:
        name: the original file name.
        md5: the published md5 of the original ``.gz`` file (checked on
            download).
        sha256: the sha256 of the array it holds (the bytes after the IDX
            header), checked whatever the file's layout (``.gz``, plain IDX,
            or an array of the Keras ``.npz``), so one dataset cannot be served
            as another.
    """

    name: str
    md5: str
    sha256: str


@dataclass(frozen=True)
class DatasetSpec:
    """Everything needed to find, check and download one IDX image dataset.

    Attributes:
        name: the public name (``"mnist"``).
        folder: the sub-folder of a data directory holding the files.
        train_images, train_labels, test_images, test_labels: the IDX files.
        npz_name: the file name of the Keras ``.npz`` layout, if Keras has one;
            it is what gets downloaded, else the four IDX files are.
        npz_sha256: the checksum of that ``.npz`` file on the Keras mirror.
    """

    name: str
    folder: str
    train_images: IdxFile
    train_labels: IdxFile
    test_images: IdxFile
    test_labels: IdxFile
    npz_name: str | None
    npz_sha256: str | None

    @property
    def idx_files(self) -> tuple[IdxFile, IdxFile, IdxFile, IdxFile]:
        """The IDX files: train images, train labels, test images, test labels."""
        return (
            self.train_images,
            self.train_labels,
            self.test_images,
            self.test_labels,
        )


MNIST = DatasetSpec(
    name="mnist",
    folder="mnist",
    train_images=IdxFile(
        "train-images-idx3-ubyte.gz",
        "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
    ),
    train_labels=IdxFile(
        "train-labels-idx1-ubyte.gz",
        "d53e105ee54ea40749a09fcbcd1e9432",
        "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
    ),
    test_images=IdxFile(
        "t10k-images-idx3-ubyte.gz",
        "9fb629c4189551a2d022fa330f9573f3",
        "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
    ),
    test_labels=IdxFile(
        "t10k-labels-idx1-ubyte.gz",
        "ec29112dd5afa0611ce80d1b7f02629c",
        "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
    ),
    npz_name="mnist.npz",
    npz_sha256="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
)

FASHION_MNIST = DatasetSpec(
    name="fashion_mnist",
    folder="fashion-mnist",
    train_images=IdxFile(
        "train-images-idx3-ubyte.gz",
        "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "2e487a6c89124f78f2d7521542223cafe96f7123c3ca13d447772ac6ecbb3012",
    ),
    train_labels=IdxFile(
        "train-labels-idx1-ubyte.gz",
        "25c81989df183df01b3e8a0aad5dffbe",
        "657fbd221bfc9f4198cc14b5619cc33ec57c58dd0e47af4d99d6650759e869a7",
    ),
    test_images=IdxFile(
        "t10k-images-idx3-ubyte.gz",
        "bef4ecab320f06d8554ea6380940ec79",
        "c867c93ff95360594e8ec3287995350b824dd110b11595c0e13d5423f621867a",
    ),
    test_labels=IdxFile(
        "t10k-labels-idx1-ubyte.gz",
        "bb300cfdad3c16e7a12a480ee83cd310",
        "3d0e6c6ea990b53b6f8f500a41cac93881d981b315f84578b7d915342ade01e9",
    ),
    npz_name=None,  # keras.datasets keeps Fashion-MNIST as IDX files
    npz_sha256=None,
)
