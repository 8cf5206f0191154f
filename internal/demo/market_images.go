package demo

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
)

// demoTiles are the colours of the demo products that get a picture (by HS
// subheading): a few, so that the catalogue shows both tiles with images
// and without.
var demoTiles = map[string]color.NRGBA{
	"090111": {0x6f, 0x4e, 0x37, 0xff}, // coffee: brown
	"120190": {0xc9, 0xa2, 0x27, 0xff}, // soybeans: ochre
	"850760": {0x1f, 0x6f, 0xb5, 0xff}, // battery pack: blue
	"740311": {0xb8, 0x73, 0x33, 0xff}, // copper: copper
	"630231": {0x7a, 0x9c, 0xc6, 0xff}, // bed linen: light blue
}

// productTile draws a simple picture of a product, made at seed time with
// the standard library (no files from elsewhere): a light background, a
// box of the product's colour with a lighter lid and a band, and a
// shadow. 240×180 pixels, a few kilobytes as PNG.
func productTile(c color.NRGBA) []byte {
	const w, h = 240, 180
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	light := func(v uint8) uint8 { return v + (255-v)/2 }
	bg := color.NRGBA{light(light(c.R)), light(light(c.G)), light(light(c.B)), 0xff}
	lid := color.NRGBA{light(c.R), light(c.G), light(c.B), 0xff}
	band := color.NRGBA{c.R / 2, c.G / 2, c.B / 2, 0xff}
	shadow := color.NRGBA{0, 0, 0, 0x30}
	fill := func(x0, y0, x1, y1 int, col color.NRGBA) {
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				img.SetNRGBA(x, y, col)
			}
		}
	}
	fill(0, 0, w, h, bg)
	fill(66, 150, 186, 158, shadow)
	fill(60, 60, 180, 150, c)
	fill(54, 46, 186, 64, lid)
	fill(112, 46, 128, 150, band)
	var b bytes.Buffer
	_ = png.Encode(&b, img) // writing to a buffer cannot fail
	return b.Bytes()
}
