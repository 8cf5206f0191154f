package ui

import (
	"context"
	"io"
	"net/http"
	"net/url"

	"bricstown/internal/identity"
	"bricstown/internal/market"
	"bricstown/internal/problem"
)

// imageView is an <img> of a product: its source, alt text (the product's
// name in the reader's language) and the width and height attributes that
// keep the layout from jumping while it loads.
type imageView struct {
	ID, Src, Alt string
	W, H         int
}

// fitImage scales an image's size down to fit a box of side max, keeping
// its aspect ratio (the attributes of a thumbnail).
func fitImage(img market.Image, alt string, side int) *imageView {
	w, h := img.Width, img.Height
	if w > side || h > side {
		if w >= h {
			w, h = side, max(1, h*side/img.Width)
		} else {
			w, h = max(1, w*side/img.Height), side
		}
	}
	return &imageView{ID: img.ID, Src: "/market/images/" + img.ID, Alt: alt, W: w, H: h}
}

// MarketAddImage attaches an uploaded image (multipart field "file") to
// one of the seller's products.
func (p *Pages) MarketAddImage(w http.ResponseWriter, r *http.Request) {
	if p.marketOff(w, r) {
		return
	}
	v := p.view(w, r, "market.mine", nil)
	id := r.PathValue("id")
	var b []byte
	if f, _, err := r.FormFile("file"); err == nil {
		b, err = io.ReadAll(io.LimitReader(f, market.MaxImageBytes+1))
		f.Close()
		if err != nil {
			p.Error(w, r, http.StatusBadRequest, problem.New(problem.Malformed, "bad upload"))
			return
		}
	}
	_, err := p.Market.AddImage(r.Context(), v.Principal, id, b)
	if err != nil {
		if problem.Is(err, problem.NotFound) || problem.Is(err, problem.Forbidden) {
			p.Error(w, r, statusOfErr(p.classify(err)), err)
			return
		}
		o, _, gerr := p.Market.Product(r.Context(), v.Principal, id, "")
		if gerr != nil {
			p.Error(w, r, statusOfErr(p.classify(gerr)), gerr)
			return
		}
		status := p.formFail(v, err, "market.field.", nil)
		v.Here = "/market/mine?edit=" + url.QueryEscape(id)
		p.renderMine(w, r, v, status, p.formOf(v, &o.Product), "images")
		return
	}
	p.redirectDone(w, r, "/market/mine?edit="+url.QueryEscape(id), "market.img_added")
}

// MarketDeleteImage removes one image of one of the seller's products.
func (p *Pages) MarketDeleteImage(w http.ResponseWriter, r *http.Request) {
	if p.marketOff(w, r) {
		return
	}
	id := r.PathValue("id")
	if err := p.Market.DeleteImage(r.Context(), identity.FromContext(r.Context()), id, r.PathValue("image")); err != nil {
		p.Error(w, r, statusOfErr(p.classify(err)), err)
		return
	}
	p.redirectDone(w, r, "/market/mine?edit="+url.QueryEscape(id), "market.img_deleted")
}

// firstImages gives each row of a result page its first image, as a
// thumbnail; a failure to read them leaves the rows without pictures.
func (p *Pages) firstImages(ctx context.Context, v *View, rows []offerRow) {
	ids := make([]string, len(rows))
	for i := range rows {
		ids[i] = rows[i].ID
	}
	first, err := p.Market.FirstImages(ctx, v.Principal, ids)
	if err != nil {
		return
	}
	for i := range rows {
		if img, ok := first[rows[i].ID]; ok {
			rows[i].Img = fitImage(img, rows[i].Name, 96)
		}
	}
}

// nameIn is a product name in lang, else any language's, for alt text.
func nameIn(names map[string]string, lang string) string {
	return (&market.Product{Names: names}).Name(lang)
}
