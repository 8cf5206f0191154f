package market

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"image"
	_ "image/jpeg" // registers JPEG with image.DecodeConfig
	_ "image/png"  // registers PNG with image.DecodeConfig
	"net/http"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/identity"
	"bricstown/internal/problem"

	"github.com/google/uuid"
)

// Limits of product images: a few small pictures per product, enough for a
// catalogue tile and a product page, never a file store.
const (
	MaxImages     = 5
	MaxImageBytes = 2 << 20
	MaxImageSide  = 6000
)

// Image is one picture of a product (its bytes are read apart, by
// ImageData). Seq orders a product's images; the lowest is shown in lists.
type Image struct {
	ID          string    `json:"id"`
	ProductID   string    `json:"product_id"`
	Seq         int64     `json:"seq"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	Width       int       `json:"width"`
	Height      int       `json:"height"`
	CreatedAt   time.Time `json:"created_at"`
	CreatedBy   string    `json:"created_by"`
}

// Field messages of an image upload (each has a code in
// problem/fieldcodes.go, so pages say them in the reader's language).
const (
	msgImageEmpty    = "the image is empty"
	msgImageTooLarge = "the image is larger than 2 MiB"
	msgImageType     = "must be a JPEG, PNG or WebP image"
	msgImageBroken   = "the image cannot be read"
	msgImageSide     = "at most %d×%d pixels"
	msgImageCount    = "at most %d images per product"
)

// sniffImage finds the type of an image from its content (never from a
// file name or a declared type) and reads its dimensions: JPEG and PNG
// through image.DecodeConfig, WebP from its RIFF container's VP8, VP8L or
// VP8X chunk header (the standard library has no WebP decoder). Errors go
// to field "file".
func sniffImage(f problem.Fields, b []byte) (ct string, w, h int) {
	switch {
	case len(b) == 0:
		f.Add("file", msgImageEmpty)
		return
	case len(b) > MaxImageBytes:
		f.Add("file", msgImageTooLarge)
		return
	}
	switch ct = http.DetectContentType(b); ct {
	case "image/jpeg", "image/png":
		cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
		if err != nil {
			f.Add("file", msgImageBroken)
			return
		}
		w, h = cfg.Width, cfg.Height
	case "image/webp":
		var ok bool
		if w, h, ok = webpSize(b); !ok {
			f.Add("file", msgImageBroken)
			return
		}
	default:
		f.Add("file", msgImageType)
		return
	}
	if w <= 0 || h <= 0 {
		f.Add("file", msgImageBroken)
	} else if w > MaxImageSide || h > MaxImageSide {
		f.Addf("file", msgImageSide, MaxImageSide, MaxImageSide)
	}
	return ct, w, h
}

// webpSize reads a WebP image's size from its first chunk: lossy (VP8),
// lossless (VP8L) or extended (VP8X), as the WebP container specification
// lays them out.
func webpSize(b []byte) (w, h int, ok bool) {
	if len(b) < 25 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WEBP" {
		return 0, 0, false
	}
	switch string(b[12:16]) {
	case "VP8 ":
		if len(b) < 30 {
			return 0, 0, false
		}
		// Frame tag (3 bytes), start code 9d 01 2a, then 14-bit sizes.
		if b[23] != 0x9d || b[24] != 0x01 || b[25] != 0x2a {
			return 0, 0, false
		}
		return int(binary.LittleEndian.Uint16(b[26:]) & 0x3fff), int(binary.LittleEndian.Uint16(b[28:]) & 0x3fff), true
	case "VP8L":
		if b[20] != 0x2f {
			return 0, 0, false
		}
		v := binary.LittleEndian.Uint32(b[21:])
		return int(v&0x3fff) + 1, int(v>>14&0x3fff) + 1, true
	case "VP8X":
		if len(b) < 30 {
			return 0, 0, false
		}
		w = int(b[24]) | int(b[25])<<8 | int(b[26])<<16
		h = int(b[27]) | int(b[28])<<8 | int(b[29])<<16
		return w + 1, h + 1, true
	}
	return 0, 0, false
}

// AddImage attaches an image to one of the caller's products (another
// organisation's product answers not_found). At most MaxImages per
// product; the store counts them in the transaction that adds one.
func (s *Service) AddImage(ctx context.Context, p *identity.Principal, productID string, b []byte) (Image, error) {
	if err := s.mustSell(p); err != nil {
		return Image{}, err
	}
	prod, err := s.own(ctx, p, productID)
	if err != nil {
		return Image{}, err
	}
	f := problem.Fields{}
	ct, w, h := sniffImage(f, b)
	if len(f) > 0 {
		code := problem.Invalid
		if len(b) > MaxImageBytes {
			code = problem.TooLarge
		}
		return Image{}, &problem.Error{Code: code, Message: "the image is not accepted", Fields: f}
	}
	sum := sha256.Sum256(b)
	img := Image{ID: uuid.Must(uuid.NewV7()).String(), ProductID: prod.ID, ContentType: ct, Size: int64(len(b)), SHA256: hex.EncodeToString(sum[:]),
		Width: w, Height: h, CreatedAt: s.now(), CreatedBy: p.UserID}
	rec := audit.Record{ActorUser: p.UserID, ActorOrg: p.OrgID, OrgID: p.OrgID, Action: "market.image.add", SubjectType: "product",
		SubjectID: prod.ID, Detail: img.ID}
	if err := s.store.AddImage(ctx, &img, b, MaxImages, rec); err != nil {
		return Image{}, err
	}
	return img, nil
}

// DeleteImage removes an image of one of the caller's products; an image
// of another product or organisation answers not_found.
func (s *Service) DeleteImage(ctx context.Context, p *identity.Principal, productID, imageID string) error {
	if err := s.mustSell(p); err != nil {
		return err
	}
	prod, err := s.own(ctx, p, productID)
	if err != nil {
		return err
	}
	if _, err := uuid.Parse(imageID); err != nil {
		return problem.New(problem.NotFound, "no such image")
	}
	rec := audit.Record{ActorUser: p.UserID, ActorOrg: p.OrgID, OrgID: p.OrgID, Action: "market.image.delete", SubjectType: "product",
		SubjectID: prod.ID, Detail: imageID}
	return s.store.DeleteImage(ctx, prod.ID, imageID, s.now(), rec)
}

// Images lists a product's images in order; products are public to every
// signed-in user, so are their images.
func (s *Service) Images(ctx context.Context, p *identity.Principal, productID string) ([]Image, error) {
	if p == nil {
		return nil, problem.New(problem.Unauthenticated, "sign in")
	}
	if _, err := uuid.Parse(productID); err != nil {
		return nil, notFound()
	}
	if _, err := s.store.GetProduct(ctx, productID); err != nil {
		return nil, err
	}
	return s.store.ProductImages(ctx, productID)
}

// FirstImages are the first image of each listed product that has one (a
// page of search results).
func (s *Service) FirstImages(ctx context.Context, p *identity.Principal, productIDs []string) (map[string]Image, error) {
	if p == nil {
		return nil, problem.New(problem.Unauthenticated, "sign in")
	}
	return s.store.FirstImages(ctx, productIDs)
}

// ImageData is an image with its bytes, for any signed-in user.
func (s *Service) ImageData(ctx context.Context, p *identity.Principal, id string) (Image, []byte, error) {
	if p == nil {
		return Image{}, nil, problem.New(problem.Unauthenticated, "sign in")
	}
	if _, err := uuid.Parse(id); err != nil {
		return Image{}, nil, problem.New(problem.NotFound, "no such image")
	}
	return s.store.ImageData(ctx, id)
}
