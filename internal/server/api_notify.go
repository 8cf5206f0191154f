package server

import (
	"net/http"
	"strings"

	"bricstown/internal/notify"
)

// Webhooks: an organisation's endpoints and their delivery log (any
// domain's events; customs declarations publish today).

type webhookOut struct {
	notify.Webhook
	// Secret is present only in the answer to the creation.
	Secret string `json:"secret,omitempty"`
	// Signature explains how deliveries are signed.
	Signature string `json:"signature,omitempty"`
}

const signatureHelp = "each delivery carries X-Bricstown-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<body>\" keyed with the secret>; " +
	"refuse a timestamp more than 5 minutes old, and deduplicate deliveries by the event id"

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) {
	var in notify.NewWebhook
	if err := decodeJSON(r, &in); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	hook, secret, err := s.Notify.CreateWebhook(r.Context(), principal(r), in)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	w.Header().Set("Location", "/api/v1/notify/webhooks/"+hook.ID)
	writeJSON(w, http.StatusCreated, webhookOut{Webhook: hook, Secret: secret, Signature: signatureHelp})
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) {
	hooks, err := s.Notify.ListWebhooks(r.Context(), principal(r))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	out := make([]webhookOut, len(hooks))
	for i, h := range hooks {
		out[i] = webhookOut{Webhook: h}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	if err := s.Notify.DeleteWebhook(r.Context(), principal(r), r.PathValue("id")); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request) {
	limit, cursor, err := pageParams(r)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	ds, err := s.Notify.Deliveries(r.Context(), principal(r), strings.TrimSpace(r.URL.Query().Get("webhook_id")), cursor, limit+1)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, pageOf(ds, limit, func(d notify.Delivery) string { return d.ID }))
}
