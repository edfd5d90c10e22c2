package emulator

import (
	"net/http"

	"github.com/pdemu/pdemu/emulator/internal/connect"
)

// usageJSON is the SDK's ConnectUsage.
type usageJSON struct {
	CreditsUsed           int64 `json:"credits_used"`
	ActionRunCreditsUsed  int64 `json:"action_run_credits_used"`
	ProxyCreditsUsed      int64 `json:"proxy_credits_used"`
	SourceEmitCreditsUsed int64 `json:"source_emit_credits_used"`
	UsageStartTS          int64 `json:"usage_start_ts"`
	UsageEndTS            int64 `json:"usage_end_ts"`
}

func toUsageJSON(r connect.UsageRecord) usageJSON {
	return usageJSON{
		CreditsUsed: r.Credits(), ActionRunCreditsUsed: r.ActionRunCredits, ProxyCreditsUsed: r.ProxyCredits,
		SourceEmitCreditsUsed: r.SourceEmitCredits, UsageStartTS: r.Start, UsageEndTS: r.End,
	}
}

// listUsage serves GET /v1/connect/usage?start_ts=&end_ts= for OAuth
// callers: the credits the token's workspace used in [start_ts, end_ts),
// one record per UTC day (see connect.Store.Usage).
func (e *Emulator) listUsage(r *http.Request, c *call) (response, error) {
	q := r.URL.Query()
	start, end, err := connect.ParseUsageWindow(q.Get("start_ts"), q.Get("end_ts"))
	if err != nil {
		return response{}, err
	}
	records, err := e.connect.Usage(c.access(), start, end)
	if err != nil {
		return response{}, err
	}
	out := make([]usageJSON, len(records))
	for i, rec := range records {
		out[i] = toUsageJSON(rec)
	}
	return ok(map[string]any{"data": out})
}
