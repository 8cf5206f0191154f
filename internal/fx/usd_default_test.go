package fx

import "testing"

func TestDefaultUSDConfigCoversTheTownsCurrencies(t *testing.T) {
	c := DefaultUSDConfig()
	for _, ccy := range []string{"KZT", "CNY", "RUB", "BRL", "INR", "ZAR", "AED", "EGP", "ETB", "IRR", "IDR", "BYN", "BOB", "MYR", "THB", "UGX", "UZS", "NGN", "VND"} {
		if _, ok := c[ccy]; !ok {
			t.Errorf("no USD pricing for %s", ccy)
		}
	}
	if _, err := ParseUSDConfig([]byte(`{"currencies":{"KZT":{"mid":"0","to_usd_bps":75,"from_usd_bps":75}}}`)); err == nil {
		t.Fatal("a zero mid was accepted")
	}
}
