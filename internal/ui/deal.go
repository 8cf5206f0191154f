package ui

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"bricstown/internal/deal"
	"bricstown/internal/identity"
	"bricstown/internal/problem"
)

// The agreements pages: a party's traders and administrators draft an agreement with other
// organisations and read it; administrators register their organisation's public keys and
// submit signatures made offline (`bricstown deal sign`); anyone checks a document against a
// bundle of signatures on the public verification page.

type dealRow struct {
	ID, Title, Parties, Status, StatusClass, Created string
	Signed, Total                                    int
}

type dealForm struct {
	Title, DocumentName, DocumentText string
	Parties                           []string
}

func (p *Pages) dealOff(w http.ResponseWriter, r *http.Request) bool {
	if p.Deal == nil {
		p.Error(w, r, http.StatusServiceUnavailable, problem.New(problem.Unavailable, "agreements are not available"))
		return true
	}
	return false
}

// DealPage lists the organisation's agreements, its keys, and the drafting form.
func (p *Pages) DealPage(w http.ResponseWriter, r *http.Request) {
	p.renderDeal(w, r, http.StatusOK, "", dealForm{}, nil)
}

func (p *Pages) renderDeal(w http.ResponseWriter, r *http.Request, status int, which string, form dealForm, formErr error) {
	if p.dealOff(w, r) {
		return
	}
	ctx := r.Context()
	pr := identity.FromContext(ctx)
	v := p.view(w, r, "deal.title", nil)
	if formErr != nil {
		status = p.formFail(v, formErr, "deal.field.", nil)
	}
	list, err := p.Deal.List(ctx, pr, 200)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	keys, err := p.Deal.Keys(ctx, pr)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	names := p.orgNames(r)
	rows := make([]dealRow, 0, len(list))
	for _, a := range list {
		row := dealRow{ID: a.ID, Title: a.Title, Status: v.T("deal.status." + string(a.Status)), StatusClass: string(a.Status),
			Created: when(a.CreatedAt), Total: len(a.Parties)}
		var ps []string
		for _, q := range a.Parties {
			ps = append(ps, names.Name(q.OrgID))
			if q.Signed() {
				row.Signed++
			}
		}
		row.Parties = strings.Join(ps, ", ")
		rows = append(rows, row)
	}
	var partners []optionView
	if orgs, err := p.Identity.Orgs(ctx, identity.Page{Limit: 1000}); err == nil {
		for _, o := range orgs {
			if o.ID != pr.OrgID {
				partners = append(partners, optionView{ID: o.ID, Text: o.Name + " (" + o.Country + ")"})
			}
		}
	}
	v.Data = map[string]any{"Rows": rows, "Keys": keys, "Partners": partners, "Form": form, "Which": which, "CanSign": deal.MaySign(pr)}
	p.render(w, r, status, "deal", v)
}

// DealCreate drafts an agreement from the form: the document as an uploaded file or as text.
func (p *Pages) DealCreate(w http.ResponseWriter, r *http.Request) {
	if p.dealOff(w, r) {
		return
	}
	if err := r.ParseMultipartForm(deal.MaxDocument + 64<<10); err != nil && err != http.ErrNotMultipart {
		p.Error(w, r, http.StatusBadRequest, problem.New(problem.Malformed, "bad form"))
		return
	}
	form := dealForm{Title: r.PostFormValue("title"), DocumentName: strings.TrimSpace(r.PostFormValue("document_name")),
		DocumentText: r.PostFormValue("document_text"), Parties: r.PostForm["parties"]}
	in := deal.NewAgreement{Title: form.Title, Parties: form.Parties, DocumentName: form.DocumentName, DocumentText: form.DocumentText}
	if f, h, err := r.FormFile("document"); err == nil {
		b, rerr := io.ReadAll(io.LimitReader(f, deal.MaxDocument+1))
		f.Close()
		if rerr != nil {
			p.Error(w, r, http.StatusBadRequest, problem.New(problem.Malformed, "bad upload"))
			return
		}
		if len(b) > 0 {
			in.DocumentBase64 = base64.StdEncoding.EncodeToString(b)
			if in.DocumentName == "" {
				in.DocumentName = h.Filename
			}
		}
	}
	if in.DocumentName == "" && in.DocumentText != "" {
		in.DocumentName = "agreement.txt"
	}
	a, err := p.Deal.Create(r.Context(), identity.FromContext(r.Context()), in)
	if err != nil {
		p.renderDeal(w, r, 0, "create", form, err)
		return
	}
	p.redirectDone(w, r, "/deal/agreements/"+a.ID, "done.deal.created")
}

// DealRegisterKey registers a public key of the caller's organisation.
func (p *Pages) DealRegisterKey(w http.ResponseWriter, r *http.Request) {
	if p.dealOff(w, r) {
		return
	}
	if _, err := p.Deal.RegisterKey(r.Context(), identity.FromContext(r.Context()),
		deal.NewKey{Label: r.PostFormValue("label"), PublicKey: r.PostFormValue("public_key")}); err != nil {
		p.renderDeal(w, r, 0, "key", dealForm{}, err)
		return
	}
	p.redirectDone(w, r, "/deal", "done.deal.key")
}

type dealPartyRow struct {
	Org, Status, SignedAt, PublicKey, Signature string
	Signed, Mine                                bool
}

// DealAgreementPage shows one agreement to a party, with the signing form for its administrators.
func (p *Pages) DealAgreementPage(w http.ResponseWriter, r *http.Request) {
	p.renderAgreement(w, r, http.StatusOK, nil)
}

func (p *Pages) renderAgreement(w http.ResponseWriter, r *http.Request, status int, formErr error) {
	if p.dealOff(w, r) {
		return
	}
	ctx := r.Context()
	pr := identity.FromContext(ctx)
	a, err := p.Deal.Get(ctx, pr, r.PathValue("id"))
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	v := p.view(w, r, "deal.agreement", nil)
	if formErr != nil {
		status = p.formFail(v, formErr, "deal.field.", nil)
	}
	names := p.orgNames(r)
	var rows []dealPartyRow
	mineSigned := false
	for _, q := range a.Parties {
		row := dealPartyRow{Org: names.Name(q.OrgID), Signed: q.Signed(), Mine: q.OrgID == pr.OrgID, PublicKey: q.PublicKey, Signature: q.Signature}
		row.Status = v.T("deal.party.waiting")
		if q.Signed() {
			row.Status, row.SignedAt = v.T("deal.party.signed"), when(q.SignedAt)
		}
		if row.Mine {
			mineSigned = q.Signed()
		}
		rows = append(rows, row)
	}
	data := map[string]any{"A": a, "Parties": rows, "Status": v.T("deal.status." + string(a.Status)), "Created": when(a.CreatedAt),
		"Size": strconv.Itoa(a.DocSize), "Creator": names.Name(a.CreatorOrg)}
	if !a.SignedAt.IsZero() {
		data["SignedAt"] = when(a.SignedAt)
	}
	if deal.MaySign(pr) && !mineSigned {
		keys, err := p.Deal.Keys(ctx, pr)
		if err == nil {
			data["SignKeys"] = keys
			data["CanSign"] = true
		}
	}
	v.Data = data
	p.render(w, r, status, "dealagreement", v)
}

// DealSign submits the organisation's signature.
func (p *Pages) DealSign(w http.ResponseWriter, r *http.Request) {
	if p.dealOff(w, r) {
		return
	}
	id := r.PathValue("id")
	if _, err := p.Deal.Sign(r.Context(), identity.FromContext(r.Context()), id,
		deal.SignIn{KeyID: r.PostFormValue("key_id"), Signature: r.PostFormValue("signature")}); err != nil {
		if problem.Is(err, problem.NotFound) {
			p.Error(w, r, statusOfErr(err), err)
			return
		}
		p.renderAgreement(w, r, 0, err)
		return
	}
	p.redirectDone(w, r, "/deal/agreements/"+id, "done.deal.signed")
}

// DealDocument downloads the agreement's document.
func (p *Pages) DealDocument(w http.ResponseWriter, r *http.Request) {
	if p.dealOff(w, r) {
		return
	}
	a, doc, err := p.Deal.Document(r.Context(), identity.FromContext(r.Context()), r.PathValue("id"))
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.DocName}))
	_, _ = w.Write(doc)
}

// DealBundle downloads the verification bundle (JSON) to hand to anyone with the document.
func (p *Pages) DealBundle(w http.ResponseWriter, r *http.Request) {
	if p.dealOff(w, r) {
		return
	}
	names := p.orgNames(r)
	b, err := p.Deal.Bundle(r.Context(), identity.FromContext(r.Context()), r.PathValue("id"), names.Name)
	if err != nil {
		p.Error(w, r, statusOfErr(err), err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "agreement-" + b.AgreementID + ".json"}))
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(b)
}

// DealVerifyPage is the public verification form.
func (p *Pages) DealVerifyPage(w http.ResponseWriter, r *http.Request) {
	v := p.view(w, r, "deal.verify_title", map[string]any{})
	p.render(w, r, http.StatusOK, "dealverify", v)
}

type dealCheckRow struct {
	Org, PublicKey string
	Valid          bool
}

// DealVerify checks an uploaded document against an uploaded or pasted bundle: nothing is
// looked up in the platform, so the verdict is the one anyone computes offline.
func (p *Pages) DealVerify(w http.ResponseWriter, r *http.Request) {
	if p.dealOff(w, r) {
		return
	}
	if err := r.ParseMultipartForm(deal.MaxDocument + 64<<10); err != nil && err != http.ErrNotMultipart {
		p.Error(w, r, http.StatusBadRequest, problem.New(problem.Malformed, "bad form"))
		return
	}
	data := map[string]any{}
	v := p.view(w, r, "deal.verify_title", data)
	read := func(field string) []byte {
		f, _, err := r.FormFile(field)
		if err != nil {
			return nil
		}
		defer f.Close()
		b, _ := io.ReadAll(io.LimitReader(f, deal.MaxDocument+1))
		return b
	}
	doc := read("document")
	bundleText := read("bundle_file")
	if len(bundleText) == 0 {
		bundleText = []byte(r.PostFormValue("bundle"))
	}
	var b deal.Bundle
	switch {
	case len(doc) == 0:
		fieldFail(v, "document", "deal.verify_need_document")
	case json.Unmarshal(bundleText, &b) != nil || len(b.Signatures) == 0:
		fieldFail(v, "bundle", "deal.verify_need_bundle")
	}
	if len(v.Fields) > 0 {
		p.render(w, r, http.StatusUnprocessableEntity, "dealverify", v)
		return
	}
	c := p.Deal.VerifyBundle(doc, b)
	rows := make([]dealCheckRow, 0, len(c.Results))
	for i, res := range c.Results {
		name := b.Signatures[i].OrgName
		if name == "" {
			name = res.OrgID
		}
		rows = append(rows, dealCheckRow{Org: name, PublicKey: res.PublicKey, Valid: res.Valid})
	}
	data["Checked"], data["Check"], data["Rows"], data["Title"] = true, c, rows, b.Title
	p.render(w, r, http.StatusOK, "dealverify", v)
}
