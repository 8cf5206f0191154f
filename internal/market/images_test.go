package market

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/jpeg"
	"image/png"
	"testing"

	"bricstown/internal/problem"
)

func riff(chunk string, payload []byte) []byte {
	b := []byte("RIFF\x00\x00\x00\x00WEBP" + chunk)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(payload)))
	b = append(b, payload...)
	binary.LittleEndian.PutUint32(b[4:], uint32(len(b)-8))
	return b
}

// The type comes from the bytes; sizes from the headers; limits hold.
func TestSniffImage(t *testing.T) {
	enc := func(w, h int, f func(*bytes.Buffer, image.Image) error) []byte {
		var b bytes.Buffer
		if err := f(&b, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	pngOf := func(w, h int) []byte {
		return enc(w, h, func(b *bytes.Buffer, m image.Image) error { return png.Encode(b, m) })
	}
	jpegOf := func(w, h int) []byte {
		return enc(w, h, func(b *bytes.Buffer, m image.Image) error { return jpeg.Encode(b, m, nil) })
	}
	// VP8X: flags and reserved (4 bytes), then width-1 and height-1 in 24 bits.
	vp8x := riff("VP8X", []byte{0, 0, 0, 0, 0x1f, 0x03, 0, 0xc7, 0x00, 0})
	// VP8L: signature 0x2f, then 14-bit width-1 and height-1.
	vp8l := riff("VP8L", binary.LittleEndian.AppendUint32([]byte{0x2f}, uint32(99)|uint32(49)<<14))
	// VP8: frame tag, start code, 14-bit width and height.
	vp8 := riff("VP8 ", []byte{0, 0, 0, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00})
	for _, c := range []struct {
		name  string
		b     []byte
		ct    string
		w, h  int
		field string
	}{
		{"png", pngOf(30, 20), "image/png", 30, 20, ""},
		{"jpeg", jpegOf(16, 40), "image/jpeg", 16, 40, ""},
		{"webp vp8x", vp8x, "image/webp", 800, 200, ""},
		{"webp vp8l", vp8l, "image/webp", 100, 50, ""},
		{"webp vp8", vp8, "image/webp", 320, 240, ""},
		{"text", []byte("plain text pretending to be a .png"), "", 0, 0, msgImageType},
		{"gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), "", 0, 0, msgImageType},
		{"empty", nil, "", 0, 0, msgImageEmpty},
		{"truncated png", pngOf(30, 20)[:20], "", 0, 0, msgImageBroken},
		{"wide png", pngOf(MaxImageSide+1, 1), "", 0, 0, "at most 6000×6000 pixels"},
		{"too big", append(pngOf(2, 2), make([]byte, MaxImageBytes)...), "", 0, 0, msgImageTooLarge},
	} {
		f := problem.Fields{}
		ct, w, h := sniffImage(f, c.b)
		if f["file"] != c.field {
			t.Errorf("%s: field %q, want %q", c.name, f["file"], c.field)
			continue
		}
		if c.field == "" && (ct != c.ct || w != c.w || h != c.h) {
			t.Errorf("%s: %s %d×%d, want %s %d×%d", c.name, ct, w, h, c.ct, c.w, c.h)
		}
		if c.field != "" {
			if code, _, ok := problem.FieldCode(f["file"]); !ok || code == "" {
				t.Errorf("%s: %q has no field code", c.name, f["file"])
			}
		}
	}
}
