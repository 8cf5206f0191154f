package server

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"bricstown/internal/identity"
)

func marketPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{uint8(x), uint8(y), 90, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// fieldCode is the field code of field in a problem response.
func fieldCode(t *testing.T, r response, field string) string {
	t.Helper()
	codes, _ := r.json(t)["error_codes"].(map[string]any)
	s, _ := codes[field].(string)
	return s
}

// Product images through the API and the pages: the seller adds and
// deletes; another company cannot tell the product from an unknown one; a
// bank is refused; the type is read from the bytes, not the name; limits
// of size and count hold; every signed-in reader loads the image with
// nosniff, an ETag and a cache lifetime.
func TestMarketImages(t *testing.T) {
	f := getFixture(t)
	cerrado := f.token(t, "Cerrado Agro Exportadora", identity.Trader)
	grain := f.token(t, "Kazakh Grain Export", identity.Trader)
	bankAdmin := f.token(t, apiBank, identity.OrgAdmin)
	r := f.call(t, "POST", "/api/v1/market/products", cerrado, marketProduct(map[string]string{"en": "Guarana powder, organic", "ru": "Порошок гуараны"}, "55"))
	if r.status != 201 {
		t.Fatalf("publish: %d %s", r.status, r.body)
	}
	id := r.json(t)["id"].(string)
	imgs := "/api/v1/market/products/" + id + "/images"
	pic := marketPNG(t, 64, 48)

	// Refused: another company (not found, like an unknown product), a
	// bank (forbidden), anonymous.
	foreign := f.call(t, "POST", imgs, grain, pic, "Content-Type", "image/png")
	unknown := f.call(t, "POST", "/api/v1/market/products/0190f3a4-0000-7000-8000-000000000000/images", grain, pic, "Content-Type", "image/png")
	if foreign.status != 404 || unknown.status != 404 || foreign.json(t)["detail"] != unknown.json(t)["detail"] {
		t.Fatalf("another company adds: %d %s / unknown %d %s", foreign.status, foreign.body, unknown.status, unknown.body)
	}
	if r := f.call(t, "POST", imgs, bankAdmin, pic, "Content-Type", "image/png"); r.status != 403 {
		t.Fatalf("a bank adds: %d %s", r.status, r.body)
	}
	if r := f.call(t, "POST", imgs, "", pic, "Content-Type", "image/png"); r.status != 401 {
		t.Fatalf("anonymous adds: %d", r.status)
	}

	// Wrong type: text, even declared as a PNG; too big; then accepted.
	r = f.call(t, "POST", imgs, cerrado, []byte("just some text, not a picture\n"), "Content-Type", "image/png")
	if r.status != 400 || fieldCode(t, r, "file") != "image_type" {
		t.Fatalf("text as png: %d %s", r.status, r.body)
	}
	big := append(append([]byte{}, pic...), make([]byte, 2<<20)...)
	r = f.call(t, "POST", imgs, cerrado, big, "Content-Type", "image/png")
	if r.status != 413 || fieldCode(t, r, "file") != "image_too_large" {
		t.Fatalf("too big: %d %s", r.status, r.body)
	}
	r = f.call(t, "POST", imgs, cerrado, pic, "Content-Type", "application/octet-stream")
	if r.status != 201 || r.json(t)["content_type"] != "image/png" || r.json(t)["width"].(float64) != 64 || r.json(t)["height"].(float64) != 48 {
		t.Fatalf("add: %d %s", r.status, r.body)
	}
	first := r.json(t)["id"].(string)
	if r.header.Get("Location") != "/market/images/"+first {
		t.Fatalf("location %q", r.header.Get("Location"))
	}

	// Served to any signed-in reader, with its headers; not to anonymous.
	reader := f.cpBrowser(t, "trader@kazgrain.kz")
	r = reader.get(t, "/market/images/"+first)
	h := r.header
	if r.status != 200 || !bytes.Equal(r.body, pic) || h.Get("Content-Type") != "image/png" || h.Get("X-Content-Type-Options") != "nosniff" ||
		h.Get("ETag") == "" || !strings.Contains(h.Get("Cache-Control"), "max-age") {
		t.Fatalf("serve: %d %v", r.status, h)
	}
	if r := reader.get(t, "/market/images/"+first, "If-None-Match", h.Get("ETag")); r.status != 304 {
		t.Fatalf("conditional get: %d", r.status)
	}
	if r := f.call(t, "GET", "/market/images/"+first, "", nil); r.status == 200 {
		t.Fatal("an anonymous reader loads an image")
	}

	// The product page and the search results show it, with the name in
	// the reader's language as alt text and its size.
	wantIn(t, reader.get(t, "/market/products/"+id+"?lang=ru"), 200, `id="product-img" src="/market/images/`+first+`" alt="Порошок гуараны"`, `width="64" height="48"`)
	wantIn(t, reader.get(t, "/market?q="+url.QueryEscape("guarana")), 200, `src="/market/images/`+first+`" alt="Guarana powder, organic" width="64" height="48"`)

	// The page form: a text file named .png is refused in the reader's
	// language; a real one is accepted.
	seller := f.cpBrowser(t, "trader@cerradoagro.br")
	r = seller.cpMultipart(t, "/market/mine/"+id+"/images?lang=ru", nil, cpUpload{"file", "photo.png", "image/png", []byte("hello, I am text")})
	wantIn(t, r, 400, `id="images-error"`, "должно быть изображение JPEG, PNG или WebP")
	r = seller.cpMultipart(t, "/market/mine/"+id+"/images", nil, cpUpload{"file", "photo.png", "image/png", marketPNG(t, 30, 30)})
	if r.status != 303 {
		t.Fatalf("page upload: %d %s", r.status, excerpt(r.body))
	}
	// Up to five; the sixth is refused with its field code.
	for range 3 {
		if r := f.call(t, "POST", imgs, cerrado, pic); r.status != 201 {
			t.Fatalf("add: %d %s", r.status, r.body)
		}
	}
	r = f.call(t, "POST", imgs, cerrado, pic)
	if r.status != 400 || fieldCode(t, r, "file") != "max_images" {
		t.Fatalf("sixth image: %d %s", r.status, r.body)
	}

	// Delete: not by another company or a bank; then by the seller.
	del := imgs + "/" + first
	if r := f.call(t, "DELETE", del, grain, nil); r.status != 404 {
		t.Fatalf("another company deletes: %d %s", r.status, r.body)
	}
	if r := f.call(t, "DELETE", del, bankAdmin, nil); r.status != 403 {
		t.Fatalf("a bank deletes: %d %s", r.status, r.body)
	}
	if r := f.call(t, "DELETE", del, cerrado, nil); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if r := reader.get(t, "/market/images/"+first); r.status != 404 {
		t.Fatalf("deleted image served: %d", r.status)
	}
	r = f.call(t, "GET", imgs, grain, nil)
	if r.status != 200 || len(r.json(t)["items"].([]any)) != 4 {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	// The seller's page lists them with delete buttons; the upload form is
	// back since there is room for one more.
	page := seller.get(t, "/market/mine?edit="+id)
	wantIn(t, page, 200, `id="image-list"`, `id="image-form"`)
	if n := len(regexp.MustCompile(`/images/[0-9a-f-]{36}/delete`).FindAll(page.body, -1)); n != 4 {
		t.Fatalf("%d delete buttons", n)
	}
	// The demo coffee has its generated tile.
	coffee := f.firstProduct(t, grain, "arabica")["id"].(string)
	r = f.call(t, "GET", "/api/v1/market/products/"+coffee+"/images", grain, nil)
	if items := r.json(t)["items"].([]any); r.status != 200 || len(items) != 1 || items[0].(map[string]any)["width"].(float64) != 240 {
		t.Fatalf("demo coffee images: %d %s", r.status, r.body)
	}
}
