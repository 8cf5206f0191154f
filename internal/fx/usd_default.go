package fx

import (
	_ "embed"
	"encoding/json"
	"fmt"
)

//go:embed usd_default.json
var defaultUSDJSON []byte

// DefaultUSDConfig is the embedded, clearly indicative USD comparison
// table (mid rates and correspondent spreads) that the demo town and a
// fresh installation use until the operator loads its own with
// `serve --fx-usd-config FILE` in the same JSON format.
func DefaultUSDConfig() USDConfig {
	c, err := ParseUSDConfig(defaultUSDJSON)
	if err != nil {
		panic("fx: embedded USD configuration is broken: " + err.Error())
	}
	return c
}

// ParseUSDConfig reads a USD comparison table: {"KZT": {"mid": "505.2",
// "to_usd_bps": 75, "from_usd_bps": 75}, ...}.
func ParseUSDConfig(b []byte) (USDConfig, error) {
	var doc struct {
		Currencies USDConfig `json:"currencies"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("fx: USD configuration: %w", err)
	}
	if err := doc.Currencies.Validate(); err != nil {
		return nil, err
	}
	return doc.Currencies, nil
}
