"""Photos people upload (residents' concerns, staff updates, home lessons, site checks).

Each is checked with Pillow (a real, decodable image, not just the right first bytes) and
re-encoded: orientation applied, metadata dropped (phones write the GPS position of the place —
often someone's home — into every photo), the longest side brought down to MAX_PHOTO_EDGE pixels.
The limits (bytes, pixels) are zhenwu.lib.uploads'; the pixels are checked from the header,
before anything is decoded.
"""

import io
import os

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageOps, UnidentifiedImageError

from .uploads import MAX_IMAGE_PIXELS, FileLimitExceeded, check_image_size, image_pixels_message, megabytes

MAX_PHOTO_EDGE = 2560
MAX_PHOTO_PIXELS = MAX_IMAGE_PIXELS  # refused before decoding: a small file can claim a huge canvas
PHOTO_FORMATS = {
    "JPEG": ("image/jpeg", ".jpg"),
    "PNG": ("image/png", ".png"),
    "GIF": ("image/gif", ".gif"),
    "WEBP": ("image/webp", ".webp"),
}


def _photo_name(upload):
    return os.path.basename(getattr(upload, "name", "") or "照片")[:60]


def _looks_like_heic(head):
    return head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypmsf1", b"ftyphevc")


def clean_photo(upload, *, max_bytes):
    """Check one uploaded photo and return a cleaned copy (ValidationError in Chinese otherwise);
    the copy's `content_type` is the real type."""
    name = _photo_name(upload)
    limit = max_bytes
    if upload.size > limit:
        raise ValidationError(f"照片“{name}”超过{megabytes(limit)}，请压缩后再上传")
    if upload.size == 0:
        raise ValidationError(f"照片“{name}”是空文件，请重新选择")
    head = upload.read(16)
    upload.seek(0)
    not_image = ValidationError(f"“{name}”不是有效的图片，请上传JPG、PNG、GIF或WebP格式的照片")
    if _looks_like_heic(head):
        raise ValidationError(f"“{name}”是HEIC格式，暂不支持。请在相机设置中选择“兼容性最佳”，或截图后再上传")
    try:
        with Image.open(upload) as image:
            if image.format not in PHOTO_FORMATS:
                raise not_image
            check_image_size(image.width, image.height, name=name)
            image.verify()  # structure and checksums, without decoding everything
        upload.seek(0)
        with Image.open(upload) as image:
            return _reencode(image, name)
    except ValidationError:
        raise
    except FileLimitExceeded as exc:
        raise ValidationError(exc.message) from None
    except Image.DecompressionBombError:
        # Pillow's own guard (twice its MAX_IMAGE_PIXELS) fires inside open(), before our check.
        raise ValidationError(image_pixels_message(name)) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise not_image from None
    finally:
        upload.seek(0)


def _reencode(image, name):
    fmt = image.format
    content_type, ext = PHOTO_FORMATS[fmt]
    if fmt == "GIF":
        # Kept as sent (an animation would lose its frames); GIFs carry no camera metadata.
        image.fp.seek(0)
        data = image.fp.read()
    else:
        if fmt == "JPEG":
            image.draft("RGB", (MAX_PHOTO_EDGE, MAX_PHOTO_EDGE))  # decode at a reduced scale
        image.load()
        image = ImageOps.exif_transpose(image)
        image.thumbnail((MAX_PHOTO_EDGE, MAX_PHOTO_EDGE))
        out = io.BytesIO()
        if fmt == "JPEG":
            if image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            image.save(out, "JPEG", quality=85, optimize=True)
        elif fmt == "PNG":
            image.save(out, "PNG", optimize=True)
        else:
            image.save(out, "WEBP", quality=85)
        data = out.getvalue()
    stem = os.path.splitext(name)[0] or "photo"
    return SimpleUploadedFile(f"{stem}{ext}", data, content_type=content_type)
