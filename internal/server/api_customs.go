package server

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"bricstown/internal/customs"
	"bricstown/internal/identity"
	"bricstown/internal/notify"
	"bricstown/internal/period"
	"bricstown/internal/problem"

	"github.com/google/uuid"
)

// Who may call the customs routes. Traders (and the administrators of a
// company or logistics operator, who act for their organisation like its
// traders) lodge and follow their own declarations; customs officers
// decide checks and release; quarantine officers inspect and hold. The
// service applies the record-level rules on top (a declarant sees its own
// declarations, customs every lodged one, quarantine those under SPS
// control; anything else is 404), so the read routes admit all four.
var (
	customsTrader     = roles(identity.Trader, orgAdmin)
	customsRead       = roles(identity.Trader, orgAdmin, identity.CustomsOfficer, identity.QuarantineOfficer)
	customsOfficer    = roles(identity.CustomsOfficer)
	customsStatsRead  = roles(identity.CustomsOfficer, admin)
	quarantineOfficer = roles(identity.QuarantineOfficer)
	notifyAdmin       = roles(orgAdmin)
)

// customsDocumentBodyLimit admits a 10 MiB document as base64 JSON (4/3 of
// it) or multipart, with room for the envelope.
const customsDocumentBodyLimit = 14 << 20

// EventTypeDeclaration is the type of the event published after every
// transition of a declaration.
const EventTypeDeclaration = "customs.declaration.status"

// sseHeartbeat is how often an idle event stream gets a comment line (so
// that proxies keep it open) and re-reads its declaration (so that a change
// made through another server process is seen).
var sseHeartbeat atomic.Int64

func init() { sseHeartbeat.Store(int64(15 * time.Second)) }

func (s *Server) customsReady(w http.ResponseWriter, r *http.Request) bool {
	if s.Customs == nil {
		writeProblem(w, r, s.log, problem.New(problem.Unavailable, "customs is not enabled on this server"))
		return false
	}
	return true
}

// declarationEvent is what streams and webhooks receive after a
// transition: where the declaration stands, never the risk engine's reasons.
type declarationEvent struct {
	DeclarationID         string            `json:"declaration_id"`
	FunctionalReferenceID string            `json:"functional_reference_id,omitempty"`
	DeclarantOrg          string            `json:"declarant_org"`
	Version               int64             `json:"version"`
	Action                string            `json:"action"`
	Status                customs.Status    `json:"status"`
	Lane                  customs.Lane      `json:"lane,omitempty"`
	SPSStatus             customs.SPSStatus `json:"sps_status,omitempty"`
	// TotalKZT is the assessed duties and taxes in tiyn (0 before assessment).
	TotalKZT      int64     `json:"total_kzt"`
	Paid          bool      `json:"paid"`
	RefusalReason string    `json:"refusal_reason,omitempty"`
	UpdatedAt     time.Time `json:"updated_at"`
}

func declarationEventOf(action string, d *customs.Declaration) declarationEvent {
	ev := declarationEvent{DeclarationID: d.ID, FunctionalReferenceID: d.FunctionalReferenceID, DeclarantOrg: d.DeclarantOrg,
		Version: d.Version, Action: action, Status: d.Status, Lane: d.Lane, SPSStatus: d.SPS.Status, Paid: d.Paid(), UpdatedAt: d.UpdatedAt}
	if d.Assessment != nil {
		ev.TotalKZT = d.Assessment.TotalKZT
	}
	if d.Refusal != nil {
		ev.RefusalReason = d.Refusal.Reason
	}
	return ev
}

// transition runs one of the customs service's transitions. Publication
// of the new state is not its job: the service tells publishDeclaration of
// every committed change (see New), whoever made it.
func (s *Server) transition(ctx context.Context, action customs.Action, fn func() (customs.Declaration, error)) (customs.Declaration, error) {
	return fn()
}

// publishDeclaration sends a committed change to the declaration's event
// streams and to the declarant organisation's webhooks.
func (s *Server) publishDeclaration(ctx context.Context, action string, d *customs.Declaration) {
	data, err := json.Marshal(declarationEventOf(action, d))
	if err != nil {
		s.log.ErrorContext(ctx, "encode declaration event", "err", err)
		return
	}
	if err := s.Notify.Publish(ctx, notify.Event{Type: EventTypeDeclaration, OrgID: d.DeclarantOrg, Subject: d.ID, Seq: d.Version,
		At: d.UpdatedAt, Data: data}); err != nil {
		s.log.WarnContext(ctx, "queue declaration webhooks", "declaration", d.ID, "err", err)
	}
}

func declarationPath(id string) string { return "/api/v1/customs/declarations/" + id }

func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// writeDeclaration answers with a declaration and its version as ETag (send
// it back as If-Match, or base_version, to amend).
func writeDeclaration(w http.ResponseWriter, status int, d customs.Declaration) {
	w.Header().Set("ETag", etag(d.Version))
	writeJSON(w, status, d)
}

// documentIn is a document sent inline as JSON.
type documentIn struct {
	Kind          customs.DocumentKind `json:"kind"`
	Reference     string               `json:"reference,omitempty"`
	Filename      string               `json:"filename"`
	MediaType     string               `json:"media_type"`
	ContentBase64 string               `json:"content_base64"`
}

func (d documentIn) decode(f problem.Fields, path string) (customs.NewDocument, bool) {
	doc := customs.NewDocument{Kind: d.Kind, Reference: d.Reference, Filename: d.Filename, MediaType: d.MediaType}
	if max := base64.StdEncoding.EncodedLen(customs.MaxDocumentSize); len(d.ContentBase64) > max+4 {
		f.Add(path+"content_base64", "the document is larger than 10 MiB")
		return doc, true
	}
	b, err := base64.StdEncoding.DecodeString(d.ContentBase64)
	if err != nil {
		f.Add(path+"content_base64", "must be standard base64 (RFC 4648)")
		return doc, false
	}
	if len(b) > customs.MaxDocumentSize {
		f.Add(path+"content_base64", "the document is larger than 10 MiB")
		return doc, true
	}
	doc.Content = b
	return doc, false
}

// declarationIn is a new declaration: the content (WCO Data Model names),
// optionally with its documents inline so that a trader can lodge in one
// request.
type declarationIn struct {
	customs.Content
	Documents []documentIn `json:"documents,omitempty"`
}

func (s *Server) createDeclaration(w http.ResponseWriter, r *http.Request) {
	if !s.customsReady(w, r) {
		return
	}
	submit, err := boolParam(r, "submit")
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	var in declarationIn
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	ctx, p := r.Context(), principal(r)
	docs := make([]customs.NewDocument, len(in.Documents))
	f := problem.Fields{}
	tooLarge := false
	if len(in.Documents) > 20 {
		f.Add("documents", "attach at most 20 documents inline; add more with POST …/documents")
	}
	for i, d := range in.Documents {
		var big bool
		docs[i], big = d.decode(f, fmt.Sprintf("documents[%d].", i))
		tooLarge = tooLarge || big
	}
	if err := f.Err("the documents are not valid"); err != nil || tooLarge {
		if tooLarge {
			err = &problem.Error{Code: problem.TooLarge, Message: "a document is larger than 10 MiB", Fields: f}
		}
		writeProblem(w, r, s.log, err)
		return
	}
	// Either way one change: the declaration and its documents (and, with
	// ?submit=true, the submission) are stored together or not at all.
	var d customs.Declaration
	if submit {
		d, err = s.Customs.Lodge(ctx, p, in.Content, docs)
	} else {
		d, err = s.Customs.Create(ctx, p, in.Content, docs...)
	}
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	w.Header().Set("Location", declarationPath(d.ID))
	writeDeclaration(w, http.StatusCreated, d)
}

func boolParam(r *http.Request, name string) (bool, error) {
	switch v := r.URL.Query().Get(name); strings.ToLower(v) {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	return false, &problem.Error{Code: problem.Invalid, Message: "bad query parameter", Fields: map[string]string{name: "must be true or false"}}
}

// customsPage reads paging; a cursor is a declaration id.
func customsPage(r *http.Request) (limit int, cursor string, err error) {
	limit, cursor, err = pageParams(r)
	if err == nil && cursor != "" {
		if _, perr := uuid.Parse(cursor); perr != nil {
			err = &problem.Error{Code: problem.Invalid, Message: "bad cursor", Fields: map[string]string{"cursor": "not a cursor from this listing"}}
		}
	}
	return limit, cursor, err
}

func summaryPage(items []customs.Summary, limit int) PageOf[customs.Summary] {
	return pageOf(items, limit, func(s customs.Summary) string { return s.ID })
}

func parseLane(f problem.Fields, v string) customs.Lane {
	l := customs.Lane(strings.ToLower(strings.TrimSpace(v)))
	if l != customs.LaneNone && !slices.Contains(customs.Lanes, l) {
		f.Add("lane", "must be green, yellow, red or blue")
	}
	return l
}

// customsFind reads the search and filters every declaration list takes
// (q, border_post, procedure, from, to); the service checks them.
func customsFind(f problem.Fields, q map[string][]string) customs.Query {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	return customs.Query{Search: get("q"), BorderPost: get("border_post"), Procedure: customs.Procedure(strings.TrimSpace(get("procedure"))),
		From: period.Bound(f, "from", get("from"), false, time.Time{}), To: period.Bound(f, "to", get("to"), true, time.Time{})}
}

func (s *Server) listDeclarations(w http.ResponseWriter, r *http.Request) {
	if !s.customsReady(w, r) {
		return
	}
	limit, cursor, err := customsPage(r)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	q := r.URL.Query()
	f := problem.Fields{}
	query := customsFind(f, q)
	query.Newest, query.After, query.Limit = true, cursor, limit+1
	for _, v := range q["status"] {
		for _, st := range strings.Split(v, ",") {
			st := customs.Status(strings.TrimSpace(st))
			if !slices.Contains(customs.Statuses, st) {
				f.Add("status", "must be one of draft, submitted, assessed, documentary_check, physical_inspection, released, refused, cancelled")
				continue
			}
			query.Statuses = append(query.Statuses, st)
		}
	}
	query.Lane = parseLane(f, q.Get("lane"))
	if err := f.Err("bad declaration query"); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	items, err := s.Customs.List(r.Context(), principal(r), query)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, summaryPage(items, limit))
}

func (s *Server) getDeclaration(w http.ResponseWriter, r *http.Request) {
	if !s.customsReady(w, r) {
		return
	}
	d, err := s.Customs.Get(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" && inm == etag(d.Version) {
		w.Header().Set("ETag", etag(d.Version))
		w.WriteHeader(http.StatusNotModified)
		return
	}
	writeDeclaration(w, http.StatusOK, d)
}

// amendIn is the amended content with the version it was edited from.
type amendIn struct {
	customs.Content
	BaseVersion *int64 `json:"base_version,omitempty"`
	Note        string `json:"note,omitempty"`
}

// parseIfMatch reads a version from If-Match ("3", W/"3" or 3).
func parseIfMatch(v string) (int64, bool) {
	v = strings.Trim(strings.TrimPrefix(strings.TrimSpace(v), "W/"), `"`)
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil && n > 0
}

func (s *Server) amendDeclaration(w http.ResponseWriter, r *http.Request) {
	if !s.customsReady(w, r) {
		return
	}
	var in amendIn
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	f := problem.Fields{}
	var base int64
	if im := r.Header.Get("If-Match"); im != "" {
		v, ok := parseIfMatch(im)
		if !ok {
			f.Add("If-Match", "must be the declaration's ETag (its version), e.g. \"3\"")
		}
		base = v
	}
	switch {
	case in.BaseVersion != nil && *in.BaseVersion < 1:
		f.Add("base_version", "must be the version you edited (1 or more)")
	case in.BaseVersion != nil && base != 0 && *in.BaseVersion != base:
		f.Add("base_version", "differs from If-Match")
	case in.BaseVersion != nil:
		base = *in.BaseVersion
	case base == 0 && len(f) == 0:
		f.Add("base_version", "required: the version you edited (from GET, or send it as If-Match), so that nobody's change is overwritten")
	}
	if err := f.Err("the amendment is not valid"); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	ctx, p, id := r.Context(), principal(r), r.PathValue("id")
	d, err := s.Customs.Amend(ctx, p, id, base, in.Content, in.Note)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeDeclaration(w, http.StatusOK, d)
}

// readUpload reads a document from multipart/form-data (a file part named
// "file" and the fields kind, reference, and optionally filename and
// media_type) or from JSON with the bytes in base64.
func readUpload(r *http.Request) (customs.NewDocument, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		var in documentIn
		if err := decodeJSON(r, &in); err != nil {
			return customs.NewDocument{}, err
		}
		f := problem.Fields{}
		doc, big := in.decode(f, "")
		if big {
			return doc, &problem.Error{Code: problem.TooLarge, Message: "the document is larger than 10 MiB", Fields: map[string]string{"content_base64": "the document is larger than 10 MiB"}}
		}
		return doc, f.Err("the document is not valid")
	case "multipart/form-data":
	default:
		return customs.NewDocument{}, problem.New(problem.Malformed, "Content-Type must be multipart/form-data (a file part named \"file\") or application/json")
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return customs.NewDocument{}, problem.Wrap(problem.Malformed, err, "the multipart body cannot be read")
	}
	var doc customs.NewDocument
	var partName, partType, explicitName string
	haveFile := false
	f := problem.Fields{}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return doc, uploadError(err)
		}
		switch name := part.FormName(); name {
		case "file":
			if haveFile {
				f.Add("file", "send one file per request")
				continue
			}
			haveFile = true
			b, err := io.ReadAll(io.LimitReader(part, customs.MaxDocumentSize+1))
			if err != nil {
				return doc, uploadError(err)
			}
			if len(b) > customs.MaxDocumentSize {
				return doc, &problem.Error{Code: problem.TooLarge, Message: "the document is larger than 10 MiB", Fields: map[string]string{"file": "the document is larger than 10 MiB"}}
			}
			doc.Content, partName, partType = b, part.FileName(), part.Header.Get("Content-Type")
		case "kind", "reference", "filename", "media_type":
			b, err := io.ReadAll(io.LimitReader(part, 1024))
			if err != nil {
				return doc, uploadError(err)
			}
			v := string(b)
			switch name {
			case "kind":
				doc.Kind = customs.DocumentKind(v)
			case "reference":
				doc.Reference = v
			case "filename":
				explicitName = v
			case "media_type":
				doc.MediaType = v
			}
		default:
			f.Add(name, "unknown field: send file, kind, reference, filename and media_type")
		}
	}
	if !haveFile {
		f.Add("file", "required: the document as a file part named \"file\"")
	}
	doc.Filename = partName
	if explicitName != "" {
		doc.Filename = explicitName
	}
	if doc.MediaType == "" {
		doc.MediaType = customs.DocumentMediaType(partType, doc.Content)
	}
	return doc, f.Err("the document is not valid")
}

func uploadError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return &problem.Error{Code: problem.TooLarge, Message: "the upload is larger than 10 MiB", Fields: map[string]string{"file": "the document is larger than 10 MiB"}}
	}
	return problem.Wrap(problem.Malformed, err, "the multipart body cannot be read")
}

func (s *Server) attachDocument(w http.ResponseWriter, r *http.Request) {
	if !s.customsReady(w, r) {
		return
	}
	doc, err := readUpload(r)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	ctx, p, id := r.Context(), principal(r), r.PathValue("id")
	out, err := s.Customs.AttachDocument(ctx, p, id, doc)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	w.Header().Set("Location", declarationPath(id)+"/documents/"+out.ID)
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) getDocument(w http.ResponseWriter, r *http.Request) {
	if !s.customsReady(w, r) {
		return
	}
	doc, b, err := s.Customs.Document(r.Context(), principal(r), r.PathValue("id"), r.PathValue("doc"))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", doc.MediaType)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": doc.Filename}))
	h.Set("ETag", `"`+doc.SHA256+`"`)
	if sum, err := hex.DecodeString(doc.SHA256); err == nil {
		h.Set("Repr-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum)+":")
	}
	h.Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// act runs a transition that takes the declaration id and a decoded body,
// and answers with the declaration.
func act[T any](s *Server, action customs.Action, optional bool, fn func(ctx context.Context, p *identity.Principal, id string, in T) (customs.Declaration, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.customsReady(w, r) {
			return
		}
		var in T
		if err := decodeBody(r, &in, optional); err != nil {
			writeProblem(w, r, s.log, err)
			return
		}
		ctx, p, id := r.Context(), principal(r), r.PathValue("id")
		d, err := s.transition(ctx, action, func() (customs.Declaration, error) { return fn(ctx, p, id, in) })
		if err != nil {
			writeProblem(w, r, s.log, err)
			return
		}
		writeDeclaration(w, http.StatusOK, d)
	}
}

type (
	noteIn struct {
		Note string `json:"note,omitempty"`
	}
	reasonIn struct {
		Reason string `json:"reason"`
	}
	payIn struct {
		FromAccountID string `json:"from_account_id"`
	}
	// guaranteeIn names a guarantee a bank issued to the declarant; the
	// duties are drawn from it (a made-up reference or amount is refused as
	// an unknown field).
	guaranteeIn struct {
		GuaranteeID string `json:"guarantee_id"`
	}
	checksIn struct {
		Lane   customs.Lane `json:"lane"`
		Reason string       `json:"reason"`
	}
)

func (s *Server) submitDeclaration() http.HandlerFunc {
	return act(s, customs.ActSubmit, true, func(ctx context.Context, p *identity.Principal, id string, _ noteIn) (customs.Declaration, error) {
		return s.Customs.Submit(ctx, p, id)
	})
}

func (s *Server) presentGoods() http.HandlerFunc {
	return act(s, customs.ActPresent, true, func(ctx context.Context, p *identity.Principal, id string, _ noteIn) (customs.Declaration, error) {
		return s.Customs.PresentGoods(ctx, p, id)
	})
}

func (s *Server) payDuties() http.HandlerFunc {
	return act(s, customs.ActPay, false, func(ctx context.Context, p *identity.Principal, id string, in payIn) (customs.Declaration, error) {
		return s.Customs.Pay(ctx, p, id, in.FromAccountID)
	})
}

func (s *Server) lodgeGuarantee() http.HandlerFunc {
	return act(s, customs.ActGuarantee, false, func(ctx context.Context, p *identity.Principal, id string, in guaranteeIn) (customs.Declaration, error) {
		return s.Customs.ProvideGuarantee(ctx, p, id, in.GuaranteeID)
	})
}

func (s *Server) cancelDeclaration() http.HandlerFunc {
	return act(s, customs.ActCancel, true, func(ctx context.Context, p *identity.Principal, id string, in reasonIn) (customs.Declaration, error) {
		return s.Customs.Cancel(ctx, p, id, in.Reason)
	})
}

func (s *Server) decideChecks() http.HandlerFunc {
	return act(s, customs.ActDecide, false, func(ctx context.Context, p *identity.Principal, id string, in checksIn) (customs.Declaration, error) {
		return s.Customs.DecideChecks(ctx, p, id, customs.Lane(strings.ToLower(strings.TrimSpace(string(in.Lane)))), in.Reason)
	})
}

func (s *Server) releaseGoods() http.HandlerFunc {
	return act(s, customs.ActRelease, true, func(ctx context.Context, p *identity.Principal, id string, in noteIn) (customs.Declaration, error) {
		return s.Customs.Release(ctx, p, id, in.Note)
	})
}

func (s *Server) refuseGoods() http.HandlerFunc {
	return act(s, customs.ActRefuse, false, func(ctx context.Context, p *identity.Principal, id string, in reasonIn) (customs.Declaration, error) {
		return s.Customs.Refuse(ctx, p, id, in.Reason)
	})
}

func (s *Server) recordInspection() http.HandlerFunc {
	return act(s, customs.ActSPSInspect, false, func(ctx context.Context, p *identity.Principal, id string, in customs.InspectionInput) (customs.Declaration, error) {
		return s.Customs.RecordInspection(ctx, p, id, in)
	})
}

func (s *Server) holdSPS() http.HandlerFunc {
	return act(s, customs.ActSPSHold, false, func(ctx context.Context, p *identity.Principal, id string, in reasonIn) (customs.Declaration, error) {
		return s.Customs.HoldSPS(ctx, p, id, in.Reason)
	})
}

func (s *Server) releaseSPSHold() http.HandlerFunc {
	return act(s, customs.ActSPSRelease, true, func(ctx context.Context, p *identity.Principal, id string, in noteIn) (customs.Declaration, error) {
		return s.Customs.ReleaseSPSHold(ctx, p, id, in.Note)
	})
}

func (s *Server) refuseSPS() http.HandlerFunc {
	return act(s, customs.ActSPSRefuse, false, func(ctx context.Context, p *identity.Principal, id string, in reasonIn) (customs.Declaration, error) {
		return s.Customs.RefuseSPS(ctx, p, id, in.Reason)
	})
}

func (s *Server) declarationHistory(w http.ResponseWriter, r *http.Request) {
	if !s.customsReady(w, r) {
		return
	}
	h, err := s.Customs.History(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	if h.Events == nil {
		h.Events = []customs.Event{}
	}
	if h.Amendments == nil {
		h.Amendments = []customs.Amendment{}
	}
	if h.Inspections == nil {
		h.Inspections = []customs.Inspection{}
	}
	writeJSON(w, http.StatusOK, h)
}

func (s *Server) estimateDuties(w http.ResponseWriter, r *http.Request) {
	if !s.customsReady(w, r) {
		return
	}
	var c customs.Content
	if err := decodeJSON(r, &c); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	a, err := s.Customs.EstimateDuties(r.Context(), principal(r), c)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// declarationEvents streams a declaration's status as server-sent events:
// first its current state, then every change. Each event is
// "event: status", its id the declaration's version (a client reconnecting
// with Last-Event-ID gets only what it has not seen), its data a
// declarationEvent. Comment lines keep an idle stream open; at each of them
// the declaration is read again, so that changes made through another
// server process arrive too. The stream ends when the client leaves, when
// the server shuts down, or when the client falls too far behind (it then
// reconnects and starts from the current state).
func (s *Server) declarationEvents(w http.ResponseWriter, r *http.Request) {
	if !s.customsReady(w, r) {
		return
	}
	ctx, p, id := r.Context(), principal(r), r.PathValue("id")
	// Subscribe before reading, so that no change falls between the two.
	sub := s.Notify.Subscribe(id)
	defer sub.Close()
	d, err := s.Customs.Get(ctx, p, id)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	last := int64(0)
	if v, err := strconv.ParseInt(strings.TrimSpace(r.Header.Get("Last-Event-ID")), 10, 64); err == nil && v > 0 {
		last = v
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	write := func(seq int64, data []byte) error {
		if _, err := fmt.Fprintf(w, "id: %d\nevent: status\ndata: %s\n\n", seq, data); err != nil {
			return err
		}
		return rc.Flush()
	}
	snapshot := func(d *customs.Declaration, action string) error {
		if d.Version <= last {
			return nil
		}
		last = d.Version
		data, err := json.Marshal(declarationEventOf(action, d))
		if err != nil {
			return err
		}
		return write(d.Version, data)
	}
	if _, err := fmt.Fprint(w, "retry: 3000\n\n"); err != nil {
		return
	}
	if err := snapshot(&d, "snapshot"); err != nil || rc.Flush() != nil {
		return
	}
	tick := time.NewTicker(time.Duration(sseHeartbeat.Load()))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-sub.C:
			if !ok {
				return
			}
			if ev.Seq <= last {
				continue
			}
			last = ev.Seq
			if write(ev.Seq, ev.Data) != nil {
				return
			}
		case <-tick.C:
			d, err := s.Customs.Get(ctx, p, id)
			if err != nil {
				return
			}
			if d.Version > last {
				if snapshot(&d, "sync") != nil {
					return
				}
				continue
			}
			if _, err := fmt.Fprint(w, ": heartbeat\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		}
	}
}

func (s *Server) customsQueue(w http.ResponseWriter, r *http.Request) {
	if !s.customsReady(w, r) {
		return
	}
	limit, cursor, err := customsPage(r)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	f := problem.Fields{}
	lane := parseLane(f, r.URL.Query().Get("lane"))
	find := customsFind(f, r.URL.Query())
	if err := f.Err("bad queue query"); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	find.After, find.Limit = cursor, limit+1
	items, err := s.Customs.SearchCustomsQueue(r.Context(), principal(r), lane, find)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, summaryPage(items, limit))
}

func (s *Server) quarantineQueue(w http.ResponseWriter, r *http.Request) {
	if !s.customsReady(w, r) {
		return
	}
	limit, cursor, err := customsPage(r)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	f := problem.Fields{}
	find := customsFind(f, r.URL.Query())
	if err := f.Err("bad queue query"); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	find.After, find.Limit = cursor, limit+1
	items, err := s.Customs.SearchQuarantineQueue(r.Context(), principal(r), find)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, summaryPage(items, limit))
}

type trustedTraderIn struct {
	OrgID string `json:"org_id"`
	AEO   *bool  `json:"aeo"`
	Note  string `json:"note,omitempty"`
}

func (s *Server) setTrustedTrader(w http.ResponseWriter, r *http.Request) {
	if !s.customsReady(w, r) {
		return
	}
	var in trustedTraderIn
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	if in.AEO == nil {
		writeProblem(w, r, s.log, &problem.Error{Code: problem.Invalid, Message: "the AEO decision is not valid",
			Fields: map[string]string{"aeo": "required: true grants authorised-economic-operator status, false withdraws it"}})
		return
	}
	tt, err := s.Customs.SetTrustedTrader(r.Context(), principal(r), in.OrgID, *in.AEO, in.Note)
	if err != nil {
		if problem.Is(err, problem.NotFound) {
			err = &problem.Error{Code: problem.Invalid, Message: "the AEO decision is not valid", Fields: map[string]string{"org_id": "no such organisation"}}
		}
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, tt)
}

type laneStatOut struct {
	Lane     customs.Lane `json:"lane"`
	Count    int64        `json:"count"`
	ShareBps int64        `json:"share_bps"`
	Released int64        `json:"released"`
	// AvgSecondsToRelease runs from lane assignment to release, over the
	// released declarations.
	AvgSecondsToRelease float64 `json:"avg_seconds_to_release"`
}

type laneStatsOut struct {
	From  time.Time     `json:"from"`
	To    time.Time     `json:"to"`
	Total int64         `json:"total"`
	Lanes []laneStatOut `json:"lanes"`
}

func (s *Server) laneStats(w http.ResponseWriter, r *http.Request) {
	if !s.customsReady(w, r) {
		return
	}
	f := problem.Fields{}
	q := r.URL.Query()
	to := period.Bound(f, "to", q.Get("to"), true, time.Now().UTC())
	from := period.Bound(f, "from", q.Get("from"), false, to.AddDate(0, 0, -30))
	if err := f.Err("bad period"); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	st, err := s.Customs.LaneStats(r.Context(), principal(r), from, to)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	out := laneStatsOut{From: st.From, To: st.To, Total: st.Total, Lanes: make([]laneStatOut, len(st.Lanes))}
	for i, l := range st.Lanes {
		out.Lanes[i] = laneStatOut{Lane: l.Lane, Count: l.Count, ShareBps: l.ShareBps, Released: l.Released,
			AvgSecondsToRelease: float64(l.AvgTimeToRelease.Milliseconds()) / 1000}
	}
	writeJSON(w, http.StatusOK, out)
}
