package sqlstore

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"testing"

	"bricstown/internal/problem"
)

func testPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(i)
	}
	img.Set(0, 0, color.RGBA{200, 30, 30, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestMarketImages(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		w := newMarketWorld(t, db)
		prod := w.publish(t, w.br, coffee())
		other := w.publish(t, w.cn, excavator())
		data := testPNG(t, 40, 30)
		var ids []string
		for i := range 5 {
			img, err := w.svc.AddImage(ctx, w.br, prod.ID, data)
			if err != nil {
				t.Fatalf("image %d: %v", i, err)
			}
			if img.Seq != int64(i+1) || img.Width != 40 || img.Height != 30 || img.ContentType != "image/png" {
				t.Fatalf("image %d: %+v", i, img)
			}
			ids = append(ids, img.ID)
		}
		if _, err := w.svc.AddImage(ctx, w.br, prod.ID, data); !problem.Is(err, problem.Invalid) {
			t.Fatalf("sixth image: %v", err)
		}
		// Another seller's product: not found, nothing written.
		if _, err := w.svc.AddImage(ctx, w.cn, prod.ID, data); !problem.Is(err, problem.NotFound) {
			t.Fatalf("foreign add: %v", err)
		}
		if err := w.svc.DeleteImage(ctx, w.cn, prod.ID, ids[0]); !problem.Is(err, problem.NotFound) {
			t.Fatalf("foreign delete: %v", err)
		}
		if err := w.svc.DeleteImage(ctx, w.cn, other.ID, ids[0]); !problem.Is(err, problem.NotFound) {
			t.Fatalf("delete through own product: %v", err)
		}
		if _, err := w.svc.AddImage(ctx, w.bank, prod.ID, data); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("bank add: %v", err)
		}
		if err := w.svc.DeleteImage(ctx, w.br, prod.ID, ids[0]); err != nil {
			t.Fatal(err)
		}
		if err := w.svc.DeleteImage(ctx, w.br, prod.ID, ids[0]); !problem.Is(err, problem.NotFound) {
			t.Fatalf("second delete: %v", err)
		}
		list, err := w.svc.Images(ctx, w.buyerB, prod.ID)
		if err != nil || len(list) != 4 || list[0].ID != ids[1] {
			t.Fatalf("images: %v %+v", err, list)
		}
		first, err := w.svc.FirstImages(ctx, w.buyerB, []string{prod.ID, other.ID})
		if err != nil || len(first) != 1 || first[prod.ID].ID != ids[1] {
			t.Fatalf("first images: %v %+v", err, first)
		}
		img, b, err := w.svc.ImageData(ctx, w.buyerC, ids[1])
		if err != nil || !bytes.Equal(b, data) || img.SHA256 == "" {
			t.Fatalf("image data: %v %+v", err, img)
		}
		// A seq is never reused: the next image comes after the last.
		if img, err := w.svc.AddImage(ctx, w.br, prod.ID, data); err != nil || img.Seq != 6 {
			t.Fatalf("re-add: %v %+v", err, img)
		}
		var n int
		if err := db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action IN ('market.image.add', 'market.image.delete')`).Scan(&n); err != nil || n != 7 {
			t.Fatalf("audit records: %d %v", n, err)
		}
	})
}
