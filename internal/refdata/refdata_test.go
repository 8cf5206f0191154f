package refdata_test

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"bricstown/internal/problem"
	"bricstown/internal/refdata"
)

// data is loaded once for the whole test binary, the way the server does it.
func data(t testing.TB) *refdata.Data {
	t.Helper()
	return refdata.Default()
}

func TestLoadIsIndependentAndDefaultIsShared(t *testing.T) {
	a, err := refdata.Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	b, err := refdata.Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if a == b {
		t.Error("Load returned the same pointer twice; want independent values")
	}
	var wg sync.WaitGroup
	got := make([]*refdata.Data, 8)
	for i := range got {
		wg.Add(1)
		go func() { defer wg.Done(); got[i] = refdata.Default() }()
	}
	wg.Wait()
	for _, d := range got {
		if d != got[0] || d == nil {
			t.Fatal("Default returned different or nil values")
		}
	}
}

func TestCurrency(t *testing.T) {
	d := data(t)
	tests := []struct {
		code    string
		want    string
		numeric string
		minor   int
		money   bool
	}{
		{"KZT", "KZT", "398", 2, true},
		{"kzt", "KZT", "398", 2, true},
		{" JPY ", "JPY", "392", 0, true},
		{"KWD", "KWD", "414", 3, true},
		{"BHD", "BHD", "048", 3, true},
		{"CNY", "CNY", "156", 2, true},
		{"RUB", "RUB", "643", 2, true},
		{"CLF", "CLF", "990", 4, true},
		{"XAU", "XAU", "959", -1, false}, // gold: ISO minor unit N.A.
		{"XDR", "XDR", "960", -1, false},
	}
	for _, tt := range tests {
		c, ok := d.Currency(tt.code)
		if !ok {
			t.Errorf("Currency(%q) not found", tt.code)
			continue
		}
		if c.Code != tt.want || c.Numeric != tt.numeric || c.MinorUnits != tt.minor || c.IsMoney() != tt.money {
			t.Errorf("Currency(%q) = %+v (money %v), want %s/%s minor %d money %v",
				tt.code, c, c.IsMoney(), tt.want, tt.numeric, tt.minor, tt.money)
		}
	}
	for _, code := range []string{"RUR", "DEM", "ZWL", "", "ABC", "KZ"} { // withdrawn, unknown, malformed
		if c, ok := d.Currency(code); ok {
			t.Errorf("Currency(%q) = %+v, want not found", code, c)
		}
	}
}

func TestLookupCurrencyErrors(t *testing.T) {
	d := data(t)
	tests := []struct {
		code string
		want problem.Code
	}{
		{"KZT", ""},
		{"K1T", problem.Invalid},
		{"KZTT", problem.Invalid},
		{"", problem.Invalid},
		{"DEM", problem.NotFound},
	}
	for _, tt := range tests {
		_, err := d.LookupCurrency(tt.code)
		if got := problem.CodeOf(err); got != tt.want {
			t.Errorf("LookupCurrency(%q) error code %q, want %q (err %v)", tt.code, got, tt.want, err)
		}
	}
}

func TestCurrenciesSortedAndActive(t *testing.T) {
	cs := data(t).Currencies()
	if len(cs) < 150 {
		t.Fatalf("only %d currencies", len(cs))
	}
	if !sort.SliceIsSorted(cs, func(i, j int) bool { return cs[i].Code < cs[j].Code }) {
		t.Error("Currencies not sorted by code")
	}
	for i := 1; i < len(cs); i++ {
		if cs[i].Code == cs[i-1].Code {
			t.Errorf("duplicate %s", cs[i].Code)
		}
	}
	cs[0].Code = "XXX-mutated"
	if data(t).Currencies()[0].Code == "XXX-mutated" {
		t.Error("Currencies exposes internal storage")
	}
}

func TestCountryNames(t *testing.T) {
	d := data(t)
	tests := []struct {
		code, lang, want string
	}{
		{"KZ", "en", "Kazakhstan"},
		{"KZ", "ru", "Казахстан"},
		{"KZ", "zh", "哈萨克斯坦"},
		{"KZ", "kk", "Қазақстан"},
		{"KZ", "pt", "Cazaquistão"},
		{"kaz", "pt-BR", "Cazaquistão"},
		{"398", "ru-RU", "Казахстан"},
		{"CN", "en", "China"},
		{"CN", "ru", "Китай"},
		{"CN", "zh", "中国"},
		{"CN", "kk", "Қытай"},
		{"CN", "pt", "China"},
		{"CHN", "zh_Hans", "中国"},
		{"RU", "en", "Russia"}, // CLDR short name; ISOName keeps "Russian Federation"
		{"RU", "kk", "Ресей"},
		{"BR", "pt", "Brasil"},
		{"AE", "kk", "Біріккен Араб Әмірліктері"},
		{"DE", "kk", "Германия"}, // beyond the old hand-written table
		{"DE", "pt", "Alemanha"},
		{"DE", "xx", "Germany"},        // unknown language: English
		{"AX", "ru", "Аландские о-ва"}, // nominative, not UNTERM's genitive
		{"PS", "ru", "Палестинские территории"},
		{"VA", "zh", "梵蒂冈"},
		{"TW", "ru", "Тайвань"},
		{"MK", "en", "North Macedonia"}, // renamed after x/text's CLDR 32
		{"MK", "kk", "Солтүстік Македония"},
		{"SZ", "pt", "Essuatíni"},
		{"TR", "en", "Türkiye"},
		{"TR", "ru", "Турция"},
	}
	for _, tt := range tests {
		c, ok := d.Country(tt.code)
		if !ok {
			t.Errorf("Country(%q) not found", tt.code)
			continue
		}
		if got := c.Name(tt.lang); got != tt.want {
			t.Errorf("Country(%q).Name(%q) = %q, want %q", tt.code, tt.lang, got, tt.want)
		}
	}
}

func TestCountryCodes(t *testing.T) {
	d := data(t)
	tests := []struct {
		in                  string
		alpha2, alpha3, num string
		currencies          []string
	}{
		{"KZ", "KZ", "KAZ", "398", []string{"KZT"}},
		{"kz", "KZ", "KAZ", "398", []string{"KZT"}},
		{"Kaz", "KZ", "KAZ", "398", []string{"KZT"}},
		{"AF", "AF", "AFG", "004", []string{"AFN"}},
		{"BT", "BT", "BTN", "064", []string{"INR", "BTN"}},
		{"IN", "IN", "IND", "356", []string{"INR"}},
	}
	for _, tt := range tests {
		c, ok := d.Country(tt.in)
		if !ok {
			t.Errorf("Country(%q) not found", tt.in)
			continue
		}
		if c.Alpha2 != tt.alpha2 || c.Alpha3 != tt.alpha3 || c.Numeric != tt.num || !slices.Equal(c.Currencies, tt.currencies) {
			t.Errorf("Country(%q) = %+v", tt.in, c)
		}
	}
	for _, in := range []string{"", "K", "ZZ", "KAZA", "XXX"} {
		if _, ok := d.Country(in); ok {
			t.Errorf("Country(%q) found, want not found", in)
		}
	}
	c, _ := d.Country("KZ")
	c.Currencies[0] = "mutated"
	if c2, _ := d.Country("KZ"); c2.Currencies[0] != "KZT" {
		t.Error("Country exposes internal storage")
	}
	for _, tt := range []struct {
		in   string
		want problem.Code
	}{{"KZ", ""}, {"K", problem.Invalid}, {"K1", problem.Invalid}, {"ZZ", problem.NotFound}, {"ZZZ", problem.NotFound}} {
		if _, err := d.LookupCountry(tt.in); problem.CodeOf(err) != tt.want {
			t.Errorf("LookupCountry(%q) = %v, want code %q", tt.in, err, tt.want)
		}
	}
	if n := len(d.Countries()); n != 249 {
		t.Errorf("Countries() has %d entries, want 249", n)
	}
}

// Every country is named in every UI language by CLDR, not by the English
// fallback, and no name carries the footnote marks ("*", "**", digits) that
// UNTERM short names had.
func TestCountryNamesFromCLDR(t *testing.T) {
	d := data(t)
	if fb := d.NameFallbacks(); len(fb) != 0 {
		t.Errorf("names CLDR lacks: %v; data/NOTICE says there are none", fb)
	}
	for _, c := range d.Countries() {
		if c.ISOName == "" {
			t.Errorf("%s: no ISO name", c.Alpha2)
		}
		for _, l := range refdata.Languages() {
			n := c.Name(l)
			if n == "" || n != strings.TrimSpace(n) || strings.ContainsAny(n, "*0123456789¹²³†") {
				t.Errorf("%s in %s: %q", c.Alpha2, l, n)
			}
			// Russian, Chinese and Kazakh do not write country names in
			// Latin letters, so equality with English means a fallback.
			if (l == "ru" || l == "zh" || l == "kk") && n == c.NameEN {
				t.Errorf("%s in %s is the English %q", c.Alpha2, l, n)
			}
		}
	}
}

func TestLanguageName(t *testing.T) {
	tests := []struct{ tag, in, want string }{
		{"kk", "", "қазақ тілі"},
		{"ru", "", "русский"},
		{"zh", "", "中文"},
		{"pt", "", "português"},
		{"en", "", "English"},
		{"kk", "ru", "казахский"},
		{"ru", "kk", "орыс тілі"},
		{"zh", "pt", "chinês"},
		{"pt", "zh", "葡萄牙语"},
		{"kk", "en", "Kazakh"},
		{"kk", "pt-BR", "cazaque"},
		{"kk", "xx", "Kazakh"}, // unknown UI language: English
		{"not a tag", "en", "not a tag"},
	}
	for _, tt := range tests {
		if got := refdata.LanguageName(tt.tag, tt.in); got != tt.want {
			t.Errorf("LanguageName(%q, %q) = %q, want %q", tt.tag, tt.in, got, tt.want)
		}
	}
}

func TestMembership(t *testing.T) {
	d := data(t)
	type m = refdata.Membership
	tests := []struct {
		code string
		want []m
	}{
		{"KZ", []m{{"KZ", refdata.BRICS, refdata.Partner, 2025}, {"KZ", refdata.EAEU, refdata.Member, 2015}}},
		{"kaz", []m{{"KZ", refdata.BRICS, refdata.Partner, 2025}, {"KZ", refdata.EAEU, refdata.Member, 2015}}},
		{"RU", []m{{"RU", refdata.BRICS, refdata.Member, 2009}, {"RU", refdata.EAEU, refdata.Member, 2015}}},
		{"BY", []m{{"BY", refdata.BRICS, refdata.Partner, 2025}, {"BY", refdata.EAEU, refdata.Member, 2015}}},
		{"ZA", []m{{"ZA", refdata.BRICS, refdata.Member, 2010}}},
		{"AE", []m{{"AE", refdata.BRICS, refdata.Member, 2024}}},
		{"ID", []m{{"ID", refdata.BRICS, refdata.Member, 2025}}},
		{"VN", []m{{"VN", refdata.BRICS, refdata.Partner, 2025}}},
		{"AM", []m{{"AM", refdata.EAEU, refdata.Member, 2015}}},
		{"KG", []m{{"KG", refdata.EAEU, refdata.Member, 2015}}},
		{"US", nil},
		{"ZZ", nil},
	}
	for _, tt := range tests {
		if got := d.Membership(tt.code); !slices.Equal(got, tt.want) {
			t.Errorf("Membership(%q) = %v, want %v", tt.code, got, tt.want)
		}
	}
	isMember := []struct {
		code string
		bloc refdata.Bloc
		want bool
	}{
		{"KZ", refdata.EAEU, true},
		{"KZ", refdata.BRICS, false}, // partner, not member
		{"CN", refdata.BRICS, true},
		{"CN", refdata.EAEU, false},
		{"ARM", refdata.EAEU, true},
		{"UZ", refdata.EAEU, false},
	}
	for _, tt := range isMember {
		if got := d.IsMember(tt.code, tt.bloc); got != tt.want {
			t.Errorf("IsMember(%q, %s) = %v, want %v", tt.code, tt.bloc, got, tt.want)
		}
	}
}

func TestBRICSCountries(t *testing.T) {
	d := data(t)
	var members, partners []string
	for _, m := range d.BRICSCountries() {
		if m.Bloc != refdata.BRICS {
			t.Errorf("BRICSCountries has %v", m)
		}
		switch m.Status {
		case refdata.Member:
			if len(partners) > 0 {
				t.Errorf("member %s listed after partners", m.Country)
			}
			members = append(members, m.Country)
		case refdata.Partner:
			partners = append(partners, m.Country)
		}
	}
	slices.Sort(members)
	slices.Sort(partners)
	wantMembers := []string{"AE", "BR", "CN", "EG", "ET", "ID", "IN", "IR", "RU", "ZA"}
	wantPartners := []string{"BO", "BY", "CU", "KZ", "MY", "NG", "TH", "UG", "UZ", "VN"}
	if !slices.Equal(members, wantMembers) {
		t.Errorf("members = %v, want %v", members, wantMembers)
	}
	if !slices.Equal(partners, wantPartners) {
		t.Errorf("partners = %v, want %v", partners, wantPartners)
	}
	var eaeu []string
	for _, m := range d.EAEUCountries() {
		eaeu = append(eaeu, m.Country)
	}
	slices.Sort(eaeu)
	if want := []string{"AM", "BY", "KG", "KZ", "RU"}; !slices.Equal(eaeu, want) {
		t.Errorf("EAEU = %v, want %v", eaeu, want)
	}
	if b, ok := refdata.ParseBloc(" eaeu "); !ok || b != refdata.EAEU {
		t.Errorf("ParseBloc(eaeu) = %v, %v", b, ok)
	}
	if _, ok := refdata.ParseBloc("EU"); ok {
		t.Error("ParseBloc(EU) accepted")
	}
}

func TestHSLookup(t *testing.T) {
	d := data(t)
	tests := []struct {
		in                    string
		code, parent, section string
		level                 int
		descPrefix            string
	}{
		{"01", "01", "", "I", 2, "Animals; live"},
		{"0101", "0101", "01", "I", 4, "Horses, asses, mules and hinnies; live"},
		{"010121", "010121", "0101", "I", 6, "Horses; live, pure-bred breeding animals"},
		{"0101.21", "010121", "0101", "I", 6, "Horses; live"},
		{" 0101 21 ", "010121", "0101", "I", 6, "Horses; live"},
		{"01-01-21", "010121", "0101", "I", 6, "Horses; live"},
		{"8703", "8703", "87", "XVII", 4, "Motor cars"},
	}
	for _, tt := range tests {
		h, ok := d.HS(tt.in)
		if !ok {
			t.Errorf("HS(%q) not found", tt.in)
			continue
		}
		if h.Code != tt.code || h.Parent != tt.parent || h.Section != tt.section || h.Level != tt.level || !strings.HasPrefix(h.Description, tt.descPrefix) {
			t.Errorf("HS(%q) = %+v", tt.in, h)
		}
	}
	for _, in := range []string{"9999", "999999", "99", "77", "0101.2", "01012", "", "abcd", "0101x1"} {
		if h, ok := d.HS(in); ok {
			t.Errorf("HS(%q) = %+v, want not found", in, h)
		}
	}
	errs := []struct {
		in   string
		want problem.Code
	}{
		{"0101", ""},
		{"9999", problem.NotFound},
		{"999999", problem.NotFound},
		{"010", problem.Invalid},
		{"01012101", problem.Invalid},
		{"ab", problem.Invalid},
		{"", problem.Invalid},
	}
	for _, tt := range errs {
		if _, err := d.LookupHS(tt.in); problem.CodeOf(err) != tt.want {
			t.Errorf("LookupHS(%q) = %v, want code %q", tt.in, err, tt.want)
		}
	}
}

func TestHSTreeShape(t *testing.T) {
	d := data(t)
	chapters, err := d.HSChildren("")
	// HS 2022 uses chapters 01-97 except the reserved 77.
	if err != nil || len(chapters) != 96 {
		t.Fatalf("HSChildren(\"\") = %d entries, %v; want 96 chapters", len(chapters), err)
	}
	sections := d.HSSections()
	if len(sections) != 21 {
		t.Fatalf("%d sections, want 21", len(sections))
	}
	inSection := 0
	for _, s := range sections {
		inSection += len(s.Chapters)
	}
	if inSection != len(chapters) {
		t.Errorf("%d chapters in sections, want %d", inSection, len(chapters))
	}
	for _, c := range chapters {
		if c.Section == "" {
			t.Errorf("chapter %s has no section", c.Code)
		}
	}
	for _, c := range chapters {
		for _, l := range []string{"ru", "zh", "kk", "pt"} {
			if c.Text(l) == c.Description {
				t.Errorf("chapter %s has no %s title", c.Code, l)
			}
		}
	}
	tests := []struct {
		code string
		want []string
		err  problem.Code
	}{
		{"01", []string{"0101", "0102", "0103", "0104", "0105", "0106"}, ""},
		{"0101", []string{"010121", "010129", "010130", "010190"}, ""},
		{"0101.21", []string{}, ""},
		{"9999", nil, problem.NotFound},
		{"1", nil, problem.Invalid},
	}
	for _, tt := range tests {
		got, err := d.HSChildren(tt.code)
		if problem.CodeOf(err) != tt.err {
			t.Errorf("HSChildren(%q) error %v, want %q", tt.code, err, tt.err)
			continue
		}
		var codes []string
		for _, h := range got {
			codes = append(codes, h.Code)
		}
		if tt.err == "" && !slices.Equal(codes, tt.want) && !(len(codes) == 0 && len(tt.want) == 0) {
			t.Errorf("HSChildren(%q) = %v, want %v", tt.code, codes, tt.want)
		}
	}
}

func TestHSText(t *testing.T) {
	d := data(t)
	ch, _ := d.HS("01")
	head, _ := d.HS("0101")
	tests := []struct {
		h    refdata.HSCode
		lang string
		want string
	}{
		{ch, "en", "Animals; live"},
		{ch, "ru", "Живые животные"},
		{ch, "zh", "活动物"},
		{ch, "kk", "Тірі жануарлар"},
		{ch, "pt-BR", "Animais vivos"},
		{ch, "fr", "Animals; live"},
		{head, "ru", "Horses, asses, mules and hinnies; live"}, // headings stay English
	}
	for _, tt := range tests {
		if got := tt.h.Text(tt.lang); got != tt.want {
			t.Errorf("%s.Text(%q) = %q, want %q", tt.h.Code, tt.lang, got, tt.want)
		}
	}
}

func TestValidHS6AndNationalCode(t *testing.T) {
	d := data(t)
	hs6 := []struct {
		in   string
		want bool
	}{
		{"010121", true},
		{"0101.21", true},
		{"8703.80", true},
		{"0101", false},   // heading, not a subheading
		{"999999", false}, // not in HS 2022
		{"01012", false},
		{"0101210", false},
		{"", false},
	}
	for _, tt := range hs6 {
		if got := d.ValidHS6(tt.in); got != tt.want {
			t.Errorf("ValidHS6(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
	national := []struct {
		in   string
		ok   bool
		hs   string
		ext  string
		code problem.Code
	}{
		{"010121", true, "010121", "", ""},
		{"0101210", true, "010121", "0", ""},
		{"01012100", true, "010121", "00", ""},
		{"0101210000", true, "010121", "0000", ""},
		{"0101 21 000 0", true, "010121", "0000", ""}, // EAEU TN VED print form
		{"8703.80.100.0", true, "870380", "1000", ""},
		{"01012100001", false, "", "", problem.Invalid}, // 11 digits
		{"01012", false, "", "", problem.Invalid},
		{"010121000A", false, "", "", problem.Invalid},
		{"9999990000", false, "", "", problem.NotFound},
	}
	for _, tt := range national {
		if got := d.ValidNationalCode(tt.in); got != tt.ok {
			t.Errorf("ValidNationalCode(%q) = %v, want %v", tt.in, got, tt.ok)
		}
		h, ext, err := d.SplitNationalCode(tt.in)
		if problem.CodeOf(err) != tt.code || h.Code != tt.hs || ext != tt.ext {
			t.Errorf("SplitNationalCode(%q) = %s, %q, %v", tt.in, h.Code, ext, err)
		}
	}
}

func codesOf(hs []refdata.HSCode) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.Code
	}
	return out
}

func TestSearchHS(t *testing.T) {
	d := data(t)
	tests := []struct {
		name, query, lang string
		first             string   // expected first result ("" = expect none)
		contains          []string // must also be present
		absent            []string
	}{
		{"words", "live horses", "en", "0101", []string{"010121", "010129"}, []string{"0205"}},
		{"case and plural", "HORSE", "en", "0101", []string{"0205", "010121"}, nil},
		{"stop words", "articles of leather", "en", "42", []string{"4205"}, nil},
		{"exact code with dot", "0101.21", "en", "010121", nil, nil},
		{"code prefix", "0101", "en", "0101", []string{"010121", "010190"}, []string{"0102"}},
		{"chapter prefix", "01", "en", "01", []string{"0101", "0106"}, nil},
		{"national code searches its subheading", "0101210000", "en", "010121", nil, nil},
		{"digits narrow words", "87 electric", "en", "", []string{"870380"}, []string{"8501"}},
		{"no match", "xyzzyplugh", "en", "", nil, nil},
		{"empty", "   ", "en", "", nil, nil},
		{"russian chapter", "живые животные", "ru", "01", nil, []string{"04"}},
		{"russian inflection", "мебели", "ru", "94", nil, nil},
		{"chinese chapter", "活动物", "zh", "01", nil, nil},
		{"chinese substring", "咖啡", "zh", "09", nil, nil},
		{"kazakh chapter", "тірі жануарлар", "kk", "01", nil, nil},
		{"portuguese chapter", "animais vivos", "pt", "01", nil, nil},
		{"portuguese without accents", "cafe", "pt", "09", nil, nil},
		{"english still works in ru", "coffee", "ru", "09", []string{"0901"}, nil},
		{"translations not used for en", "живые животные", "en", "", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := codesOf(d.SearchHS(tt.query, tt.lang, 100))
			if tt.first == "" && len(tt.contains) == 0 {
				if len(got) != 0 {
					t.Fatalf("SearchHS(%q) = %v, want none", tt.query, got)
				}
				return
			}
			if tt.first != "" && (len(got) == 0 || got[0] != tt.first) {
				t.Fatalf("SearchHS(%q, %s) = %v, want %s first", tt.query, tt.lang, got, tt.first)
			}
			for _, c := range tt.contains {
				if !slices.Contains(got, c) {
					t.Errorf("SearchHS(%q) = %v, missing %s", tt.query, got, c)
				}
			}
			for _, c := range tt.absent {
				if slices.Contains(got, c) {
					t.Errorf("SearchHS(%q) = %v, should not contain %s", tt.query, got, c)
				}
			}
		})
	}
}

// After the exact code, a code-prefix search lists chapters, then headings,
// then subheadings.
func TestSearchHSOrder(t *testing.T) {
	d := data(t)
	for _, q := range []string{"0", "01", "84", "8703", "2"} {
		got := d.SearchHS(q, "en", 100)
		if len(got) == 0 {
			t.Fatalf("SearchHS(%q) found nothing", q)
		}
		start := 0
		if got[0].Code == q {
			start = 1
		}
		for i := start + 1; i < len(got); i++ {
			if got[i].Level < got[i-1].Level {
				t.Errorf("SearchHS(%q): %s (level %d) after %s (level %d)", q, got[i].Code, got[i].Level, got[i-1].Code, got[i-1].Level)
			}
			if !strings.HasPrefix(got[i].Code, q) {
				t.Errorf("SearchHS(%q) returned %s", q, got[i].Code)
			}
		}
	}
	// Words: whole-word matches, heading before its subheadings.
	got := codesOf(d.SearchHS("live horses", "en", 100))
	if want := []string{"0101", "010121", "010129"}; !slices.Equal(got, want) {
		t.Errorf("SearchHS(live horses) = %v, want %v", got, want)
	}
	// A description that starts with the words beats one that mentions them late.
	got = codesOf(d.SearchHS("electric motors", "en", 3))
	if len(got) == 0 || got[0] != "8501" {
		t.Errorf("SearchHS(electric motors) = %v, want 8501 first", got)
	}
}

func TestSearchLimits(t *testing.T) {
	d := data(t)
	hs := []struct {
		limit, want int
	}{
		{1, 1},
		{5, 5},
		{0, refdata.DefaultResults},
		{-3, refdata.DefaultResults},
		{100, 100},
		{1000, refdata.MaxResults},
	}
	for _, tt := range hs {
		if got := len(d.SearchHS("0", "en", tt.limit)); got != tt.want {
			t.Errorf("SearchHS(0, limit %d) returned %d, want %d", tt.limit, got, tt.want)
		}
		if got := len(d.SearchHS("other", "en", tt.limit)); got != tt.want {
			t.Errorf("SearchHS(other, limit %d) returned %d, want %d", tt.limit, got, tt.want)
		}
		locs, err := d.SearchLocations("", "a", tt.limit)
		if err != nil || len(locs) != tt.want {
			t.Errorf("SearchLocations(a, limit %d) returned %d, %v; want %d", tt.limit, len(locs), err, tt.want)
		}
		locs, err = d.SearchLocations("BR", "", tt.limit)
		if err != nil || len(locs) != tt.want {
			t.Errorf("SearchLocations(BR, limit %d) returned %d, %v; want %d", tt.limit, len(locs), err, tt.want)
		}
	}
	if refdata.MaxResults != 100 {
		t.Errorf("MaxResults = %d, want 100", refdata.MaxResults)
	}
}

func TestLocationFunctions(t *testing.T) {
	d := data(t)
	l, ok := d.Location("KZHOR")
	if !ok {
		t.Fatal("KZHOR not found")
	}
	if l.Country != "KZ" || l.Name != "Horgos" || l.FunctionCode != "-23-56--" || !l.HasCoords {
		t.Errorf("KZHOR = %+v", l)
	}
	want := map[refdata.Function]bool{
		refdata.FuncPort: false, refdata.FuncRail: true, refdata.FuncRoad: true, refdata.FuncAirport: false,
		refdata.FuncPostal: true, refdata.FuncICD: true, refdata.FuncFixedTransport: false, refdata.FuncBorderCrossing: false,
	}
	for f, w := range want {
		if got := l.Functions.Has(f); got != w {
			t.Errorf("KZHOR Has(%s) = %v, want %v", f, got, w)
		}
	}
	if got := l.Functions.Names(); !slices.Equal(got, []string{"rail", "road", "postal", "icd"}) {
		t.Errorf("KZHOR functions = %v", got)
	}
	b, err := json.Marshal(l)
	if err != nil || !strings.Contains(string(b), `"functions":["rail","road","postal","icd"]`) {
		t.Errorf("JSON = %s, %v", b, err)
	}

	other := []struct {
		code  string
		has   refdata.Function
		lacks refdata.Function
	}{
		{"KZAAU", refdata.FuncPort | refdata.FuncRail | refdata.FuncAirport, refdata.FuncRoad}, // Aktau "12-4----"
		{"KZDOS", refdata.FuncRail, refdata.FuncRoad},                                          // "-2------"
	}
	for _, tt := range other {
		l, ok := d.Location(tt.code)
		if !ok || !l.Functions.Has(tt.has) || l.Functions&tt.lacks != 0 {
			t.Errorf("%s functions = %v (%q)", tt.code, l.Functions, l.FunctionCode)
		}
	}
}

func TestLocationLookup(t *testing.T) {
	d := data(t)
	for _, in := range []string{"KZHOR", "kzhor", "KZ HOR", " kz hor "} {
		if l, ok := d.Location(in); !ok || l.Code != "KZHOR" {
			t.Errorf("Location(%q) = %+v, %v", in, l, ok)
		}
	}
	// A row whose comma-containing name is broken upstream was repaired.
	if l, ok := d.Location("MYBLI"); !ok || l.Name != "Batu Lintang, Sarawak" || l.Subdivision != "13" || l.FunctionCode != "1-------" {
		t.Errorf("MYBLI = %+v", l)
	}
	tests := []struct {
		in   string
		want problem.Code
	}{
		{"KZHOR", ""},
		{"KZH", problem.Invalid},
		{"KZHO1", problem.Invalid},
		{"USNYC", problem.NotFound}, // valid, but the US is not embedded
		{"KZZZZ", problem.NotFound},
	}
	for _, tt := range tests {
		if _, err := d.LookupLocation(tt.in); problem.CodeOf(err) != tt.want {
			t.Errorf("LookupLocation(%q) = %v, want code %q", tt.in, err, tt.want)
		}
	}
}

func TestSearchLocations(t *testing.T) {
	d := data(t)
	tests := []struct {
		name, country, query string
		first                string
		err                  problem.Code
	}{
		{"Dostyk alias", "KZ", "Dostyk", "KZDOS", ""},
		{"Khorgos alias", "KZ", "Khorgos", "KZHOR", ""},
		{"Dostyk alias lower case, all countries", "", "dostyk", "KZDOS", ""},
		{"upstream spelling still works", "KZ", "Dosytk", "KZDOS", ""},
		{"alpha-3 filter", "KAZ", "dostyk", "KZDOS", ""},
		{"three-letter code within country", "KZ", "hor", "KZHOR", ""},
		{"full locode", "", "KZ HOR", "KZHOR", ""},
		{"name", "KZ", "Horgos", "KZHOR", ""},
		{"accents folded", "BR", "São Paulo", "BRSAO", ""},
		{"IATA code", "", "SVX", "RUYEK", ""},
		{"other spelling of a repeated row", "", "Nhava Sheva", "INNSA", ""},
		{"words in any order", "IN", "sheva nhava", "INNSA", ""},
		{"no match", "KZ", "xyzzy", "", ""},
		{"nothing asked", "", "", "", problem.Invalid},
		{"bad country", "K1", "x", "", problem.Invalid},
		{"unknown country", "ZZ", "x", "", problem.NotFound},
		{"country not embedded", "US", "x", "", problem.NotFound},
		{"overlong", "", strings.Repeat("a", 101), "", problem.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := d.SearchLocations(tt.country, tt.query, 10)
			if problem.CodeOf(err) != tt.err {
				t.Fatalf("error %v, want code %q", err, tt.err)
			}
			if tt.first == "" {
				if len(got) != 0 {
					t.Errorf("got %d results, want none (first %s)", len(got), got[0].Code)
				}
				return
			}
			if len(got) == 0 || got[0].Code != tt.first {
				t.Fatalf("got %v, want %s first", got, tt.first)
			}
		})
	}
	// The alias finds the entry without changing its published name.
	got, _ := d.SearchLocations("KZ", "Dostyk", 1)
	if got[0].Name != "Dosytk" {
		t.Errorf("KZDOS name = %q, want upstream %q", got[0].Name, "Dosytk")
	}
	// Country filter is honoured.
	got, _ = d.SearchLocations("CN", "a", 100)
	for _, l := range got {
		if l.Country != "CN" {
			t.Fatalf("SearchLocations(CN) returned %s", l.Code)
		}
	}
}

func TestNoticeNamesSources(t *testing.T) {
	n := refdata.Notice()
	for _, s := range []string{"PDDL", "datasets/harmonized-system", "datasets/currency-codes", "datasets/country-codes",
		"geoapify/un-locode", "MIT License", "Copyright (c) 2024 Geoapify", "2d18b09", "905e5a0", "ab9b0ae", "caa72d1"} {
		if !strings.Contains(n, s) {
			t.Errorf("Notice() lacks %q", s)
		}
	}
}

func TestLanguages(t *testing.T) {
	if got := refdata.Languages(); !slices.Equal(got, []string{"en", "ru", "zh", "kk", "pt"}) {
		t.Errorf("Languages() = %v", got)
	}
	for in, want := range map[string]bool{"en": true, "RU": true, "pt-BR": true, "zh_Hans": true, "kk-KZ": true, "de": false, "": false} {
		if got := refdata.ValidLanguage(in); got != want {
			t.Errorf("ValidLanguage(%q) = %v, want %v", in, got, want)
		}
	}
}

func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := refdata.Load(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSearchHS(b *testing.B) {
	d := refdata.Default()
	for _, q := range []struct{ name, query, lang string }{
		{"words", "live horses", "en"},
		{"broad", "other", "en"},
		{"prefix", "elec mot", "en"},
		{"code", "0101.21", "en"},
		{"chapter", "84", "en"},
		{"ru", "живые животные", "ru"},
	} {
		b.Run(q.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if len(d.SearchHS(q.query, q.lang, 20)) == 0 {
					b.Fatal("no results")
				}
			}
		})
	}
}

func BenchmarkSearchLocations(b *testing.B) {
	d := refdata.Default()
	for _, q := range []struct{ name, country, query string }{
		{"all countries", "", "dostyk"},
		{"one country", "KZ", "dostyk"},
		{"broad", "", "san"},
	} {
		b.Run(q.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := d.SearchLocations(q.country, q.query, 20); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkLookups(b *testing.B) {
	d := refdata.Default()
	b.ReportAllocs()
	for b.Loop() {
		d.HS("0101.21")
		d.Country("kaz")
		d.Currency("KZT")
		d.Location("KZHOR")
	}
}
