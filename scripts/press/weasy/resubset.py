"""A face's subset made from its file as WeasyPrint makes it, for any set of glyphs.

WeasyPrint embeds each face it draws with as a subset cut by HarfBuzz — the system's library,
the one it loads (libharfbuzz-subset) — in two passes (``weasyprint.pdf.fonts.Font._harfbuzz_subset``):
the glyphs used, keeping their ids, without the layout tables; then every id up to the last one
used, without hinting. ``Subsetter(path).subset(gids)`` repeats those passes on the face's file.
The join of a book laid out in chunks (press.weasy.fontmerge) uses it to give a face the one
subset a whole layout would have embedded — the union of the chunks' glyphs — in milliseconds,
and only after it has given back every chunk's own subset byte for byte. Takes a font file and
glyph ids; returns the subset's bytes, or None when HarfBuzz cannot cut it.
"""
from __future__ import annotations

from pathlib import Path

_CDEF = """
typedef struct hb_blob_t hb_blob_t;
typedef struct hb_face_t hb_face_t;
typedef struct hb_set_t hb_set_t;
typedef struct hb_subset_input_t hb_subset_input_t;
hb_blob_t * hb_blob_create_from_file_or_fail (const char *file_name);
void hb_blob_destroy (hb_blob_t *blob);
const char * hb_blob_get_data (hb_blob_t *blob, unsigned int *length);
hb_face_t * hb_face_create (hb_blob_t *blob, unsigned int index);
void hb_face_destroy (hb_face_t *face);
unsigned int hb_face_get_glyph_count (const hb_face_t *face);
hb_blob_t * hb_face_reference_blob (hb_face_t *face);
void hb_set_add (hb_set_t *set, unsigned int codepoint);
uint32_t hb_tag_from_string (const char *str, int len);
hb_subset_input_t * hb_subset_input_create_or_fail (void);
void hb_subset_input_destroy (hb_subset_input_t *input);
hb_set_t * hb_subset_input_glyph_set (hb_subset_input_t *input);
hb_set_t * hb_subset_input_set (hb_subset_input_t *input, int set_type);
void hb_subset_input_set_flags (hb_subset_input_t *input, unsigned value);
hb_face_t * hb_subset_or_fail (hb_face_t *source, const hb_subset_input_t *input);
"""
NO_HINTING, RETAIN_GIDS, DESUBROUTINIZE, PASSTHROUGH_UNRECOGNIZED = 0x1, 0x2, 0x4, 0x20
DROP_TABLE_TAG = 3
# the tables WeasyPrint drops from every subset (weasyprint/pdf/fonts.py)
DROPPED = (b"BASE", b"DSIG", b"EBDT", b"EBLC", b"EBSC", b"GPOS", b"GSUB", b"JSTF", b"LTSH", b"PCLT", b"SVG ")

_LIBS: list = []


def _libraries():
    if not _LIBS:
        import cffi
        ffi = cffi.FFI()
        ffi.cdef(_CDEF)
        _LIBS.extend([ffi, ffi.dlopen("libharfbuzz.so.0"), ffi.dlopen("libharfbuzz-subset.so.0")])
    return _LIBS


class Subsetter:
    """The face in the file at ``path`` (its first face), ready to be cut like WeasyPrint cuts it."""

    def __init__(self, path: Path):
        ffi, hb, _ = _libraries()
        blob = hb.hb_blob_create_from_file_or_fail(str(path).encode())
        if blob == ffi.NULL:
            raise OSError(f"HarfBuzz cannot read {path}")
        self._face = ffi.gc(hb.hb_face_create(blob, 0), hb.hb_face_destroy)
        hb.hb_blob_destroy(blob)
        self.glyphs = hb.hb_face_get_glyph_count(self._face)

    def subset(self, gids, hinting: bool = False) -> bytes | None:
        """The subset WeasyPrint embeds when a document draws the glyphs ``gids`` of this face
        (``hinting``: WeasyPrint's option of that name). None for an id the face does not have
        (WeasyPrint numbers missing characters past the last glyph) or when HarfBuzz fails."""
        ffi, hb, sub = _libraries()
        gids = sorted(set(int(g) for g in gids))
        if not gids or gids[-1] >= self.glyphs:
            return None
        plan = ffi.gc(sub.hb_subset_input_create_or_fail(), sub.hb_subset_input_destroy)
        if plan == ffi.NULL:
            return None
        glyphs = sub.hb_subset_input_glyph_set(plan)
        for gid in gids:
            hb.hb_set_add(glyphs, gid)
        sub.hb_subset_input_set_flags(plan, RETAIN_GIDS | PASSTHROUGH_UNRECOGNIZED | DESUBROUTINIZE)
        dropped = sub.hb_subset_input_set(plan, DROP_TABLE_TAG)
        for tag in DROPPED:
            hb.hb_set_add(dropped, hb.hb_tag_from_string(tag, -1))
        first = sub.hb_subset_or_fail(self._face, plan)
        if first == ffi.NULL:
            return None
        first = ffi.gc(first, hb.hb_face_destroy)
        for gid in range(gids[-1] + 1):  # then every id up to the last used: the empty ones after it go
            hb.hb_set_add(glyphs, gid)
        sub.hb_subset_input_set_flags(plan, PASSTHROUGH_UNRECOGNIZED | DESUBROUTINIZE | (0 if hinting else NO_HINTING))
        second = sub.hb_subset_or_fail(first, plan)
        if second == ffi.NULL:
            return None
        second = ffi.gc(second, hb.hb_face_destroy)
        blob = hb.hb_face_reference_blob(second)
        try:
            length = ffi.new("unsigned int *")
            data = hb.hb_blob_get_data(blob, length)
            return None if data == ffi.NULL else ffi.unpack(data, int(length[0]))
        finally:
            hb.hb_blob_destroy(blob)
