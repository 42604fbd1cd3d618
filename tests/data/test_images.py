"""`from_image_directory`: labels from folders, sizes, colour modes, errors."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfstarter as tfs
from tfstarter.errors import (
    ArgumentTypeError,
    ConfigError,
    CorruptFileError,
    DataError,
    DatasetNotFoundError,
)


def write_png(
    path: Path, value: int, size: tuple[int, int] = (6, 5), channels: int = 3
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = tf.fill([*size, channels], tf.constant(value, tf.uint8))
    tf.io.write_file(str(path), tf.io.encode_png(pixels))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Classes written out of order; each image's value encodes its class."""
    for label, name in [(2, "zebra"), (0, "ant"), (1, "cat")]:
        for i in range(label + 2):
            write_png(tmp_path / name / f"{i}.png", value=label * 100 + i)
    write_png(tmp_path / "cat" / "nested" / "deep.png", value=150)
    (tmp_path / "cat" / "notes.txt").write_text("not an image")
    (tmp_path / "ant" / ".hidden.png").write_bytes(b"not decoded")
    return tmp_path


def test_labels_follow_sorted_class_folders(folder: Path) -> None:
    ds, classes = tfs.data.from_image_directory(folder, batch_size=4)
    assert classes == ("ant", "cat", "zebra")
    images, labels = (
        np.concatenate(p) for p in zip(*ds.as_numpy_iterator(), strict=True)
    )
    assert images.shape == (2 + 4 + 4, 6, 5, 3) and images.dtype == np.float32
    np.testing.assert_array_equal(labels, [0, 0, 1, 1, 1, 1, 2, 2, 2, 2])
    np.testing.assert_array_equal(
        images[:, 0, 0, 0] // 100, [0, 0, 1, 1, 1, 1, 2, 2, 2, 2]
    )
    assert int(ds.cardinality()) == 3


def test_resize_grayscale_and_rescale(folder: Path) -> None:
    ds, _ = tfs.data.from_image_directory(
        folder,
        image_size=(3, 4),
        color_mode="grayscale",
        rescale=1 / 255,
        batch_size=16,
    )
    images, _ = next(iter(ds))
    assert images.shape == (10, 3, 4, 1)
    assert float(tf.reduce_max(images)) <= 1.0


def test_shuffle_is_seeded_reshuffles_and_keeps_labels(folder: Path) -> None:
    def epoch(ds: tf.data.Dataset) -> list[int]:
        values = []
        for images, labels in ds:
            values += images.numpy()[:, 0, 0, 0].astype(int).tolist()
            np.testing.assert_array_equal(images.numpy()[:, 0, 0, 0] // 100, labels)
        return values

    ds, _ = tfs.data.from_image_directory(folder, shuffle=True, seed=3, batch_size=3)
    again, _ = tfs.data.from_image_directory(folder, shuffle=True, seed=3, batch_size=3)
    first, second = epoch(ds), epoch(ds)
    assert first != second and sorted(first) == sorted(second)
    assert [first, second] == [epoch(again), epoch(again)]
    cached, _ = tfs.data.from_image_directory(folder, shuffle=True, seed=3, cache=True)
    assert sorted(epoch(cached)) == sorted(first)


def test_class_names_pin_labels_for_another_folder(
    folder: Path, tmp_path: Path
) -> None:
    val = tmp_path / "val"
    write_png(val / "zebra" / "a.png", value=200)
    ds, classes = tfs.data.from_image_directory(
        val, class_names=("ant", "cat", "zebra")
    )
    assert classes == ("ant", "cat", "zebra")
    assert next(iter(ds))[1].numpy().tolist() == [2]
    with pytest.raises(DataError, match=r"has subfolder 'zebra', which is not one of"):
        tfs.data.from_image_directory(val, class_names=["ant"])


def test_augment_in_training_pipeline(folder: Path) -> None:
    flip = keras.layers.RandomFlip("horizontal", seed=0)
    ds, _ = tfs.data.from_image_directory(folder, shuffle=True, seed=0, augment=flip)
    images, labels = next(iter(ds))
    assert images.shape[1:] == (6, 5, 3) and labels.shape[0] == 10
    with pytest.raises(ConfigError, match=r"`augment` is for training pipelines"):
        tfs.data.from_image_directory(folder, augment=flip)


def test_images_of_different_sizes_need_image_size(folder: Path) -> None:
    write_png(folder / "zebra" / "big.png", value=1, size=(9, 9))
    with pytest.raises(
        DataError,
        match=r"images differ in size: .*ant/0\.png is 6x5 but .*zebra/big\.png is "
        r"9x9 \(height x width\)\. Pass image_size=\(height, width\)",
    ):
        tfs.data.from_image_directory(folder, batch_size=32)
    ds, _ = tfs.data.from_image_directory(folder, image_size=(9, 9), batch_size=32)
    assert next(iter(ds))[0].shape == (11, 9, 9, 3)


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(DatasetNotFoundError, match=r"is not a folder"):
        tfs.data.from_image_directory(tmp_path / "missing")
    (tmp_path / "loose.png").write_bytes(b"")
    with pytest.raises(
        DataError, match=r"has no class subfolders \(found: \['loose\.png'\]\)"
    ):
        tfs.data.from_image_directory(tmp_path)
    (tmp_path / "cat").mkdir()
    with pytest.raises(DataError, match=r"has class folders \['cat'\] but no images"):
        tfs.data.from_image_directory(tmp_path)
    (tmp_path / "cat" / "broken.png").write_bytes(b"garbage")
    with pytest.raises(
        CorruptFileError,
        match=r"broken\.png is not a PNG, JPEG, GIF or BMP image \(it starts with "
        r"b'garbage'\)",
    ):
        tfs.data.from_image_directory(tmp_path)
    with pytest.raises(
        ArgumentTypeError, match=r"`image_size` must be a \(height, width\)"
    ):
        tfs.data.from_image_directory(tmp_path, image_size=28)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"`color_mode` must be one of"):
        tfs.data.from_image_directory(tmp_path, color_mode="cmyk")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"`interpolation` must be one of"):
        tfs.data.from_image_directory(tmp_path, interpolation="cubic")
    with pytest.raises(
        ConfigError, match=r"`class_names` must be non-empty and unique"
    ):
        tfs.data.from_image_directory(tmp_path, class_names=["cat", "cat"])


GIF_1X1 = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04"
    b"\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


def bmp_bytes(height: int, width: int) -> bytes:
    row = (width * 3 + 3) // 4 * 4
    size = 54 + row * height
    header = (
        b"BM" + size.to_bytes(4, "little") + b"\0\0\0\0" + (54).to_bytes(4, "little")
    )
    info = (
        (40).to_bytes(4, "little")
        + width.to_bytes(4, "little")
        + height.to_bytes(4, "little")
        + (1).to_bytes(2, "little")
        + (24).to_bytes(2, "little")
        + bytes(24)
    )
    return header + info + bytes(row * height)


def jpeg_bytes(height: int, width: int) -> bytes:
    pixels = tf.zeros([height, width, 3], tf.uint8)
    return bytes(tf.io.encode_jpeg(pixels).numpy())


def test_headers_of_every_format_give_the_size(tmp_path: Path) -> None:
    from tfstarter.data._image_headers import read_header

    files = {
        "a.jpg": jpeg_bytes(7, 4),
        "b.gif": GIF_1X1,
        "c.bmp": bmp_bytes(3, 2),
        "d.png": bytes(tf.io.encode_png(tf.zeros([2, 9, 1], tf.uint8)).numpy()),
    }
    found = {}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        header = read_header(tmp_path / name)
        found[name] = (header.format, header.height, header.width)
    assert found == {
        "a.jpg": ("jpeg", 7, 4),
        "b.gif": ("gif", 1, 1),
        "c.bmp": ("bmp", 3, 2),
        "d.png": ("png", 2, 9),
    }


@pytest.mark.parametrize(
    ("name", "data", "match"),
    [
        ("cut.png", "png", r"cut\.png is a truncated PNG file \(no IEND chunk"),
        ("cut.jpg", "jpeg", r"cut\.jpg is a truncated JPEG file"),
        ("cut.gif", "gif", r"cut\.gif is a truncated GIF file"),
        ("cut.bmp", "bmp", r"cut\.bmp is a truncated BMP file \(60 of its 78 bytes\)"),
        ("empty.png", "empty", r"empty\.png is not a PNG, .* \(it starts with nothing"),
        ("head.png", "head", r"head\.png is a PNG file cut short inside its header"),
    ],
)
def test_broken_files_are_named_when_the_pipeline_is_built(
    folder: Path, name: str, data: str, match: str
) -> None:
    whole = {
        "png": bytes(tf.io.encode_png(tf.zeros([6, 5, 3], tf.uint8)).numpy()),
        "jpeg": jpeg_bytes(6, 5),
        "gif": GIF_1X1,
        "bmp": bmp_bytes(6, 1),
        "empty": b"",
        "head": b"\x89PNG\r\n\x1a\n\x00\x00",
    }[data]
    cut = whole if data in ("empty", "head") else whole[: len(whole) - 18]
    (folder / "cat" / name).write_bytes(cut)
    with pytest.raises(CorruptFileError, match=match):
        tfs.data.from_image_directory(folder, image_size=(6, 5))


def test_verify_decodes_every_file_and_names_damage_inside(folder: Path) -> None:
    path = folder / "zebra" / "1.png"
    data = bytearray(path.read_bytes())
    data[40:60] = bytes(20)  # inside the compressed data: header and end intact
    path.write_bytes(bytes(data))
    tfs.data.from_image_directory(folder)  # the header scan cannot see it
    with pytest.raises(
        CorruptFileError,
        match=r"1 of 10 images could not be decoded, e\.g\. \['.*zebra/1\.png'\]",
    ):
        tfs.data.from_image_directory(folder, verify=True)
    with pytest.raises(ArgumentTypeError, match=r"`verify` must be True or False"):
        tfs.data.from_image_directory(folder, verify="yes")  # type: ignore[arg-type]
