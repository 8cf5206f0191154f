package refdata

import "testing"

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"São Paulo", "sao paulo"},
		{"  Horses, asses; LIVE ", "horses asses live"},
		{"Ürümqi", "urumqi"},
		{"Łódź", "lodz"},
		{"Straße", "strasse"},
		{"Hà Nội", "ha noi"},
		{"Đà Nẵng", "da nang"},
		{"Ёлка", "елка"},
		{"Қазақстан", "қазақстан"},
		{"活动物", "活动物"},
		{"2×3", "2 3"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := normalize(tt.in); got != tt.want {
			t.Errorf("normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestStemming(t *testing.T) {
	tests := []struct {
		lang     int
		in, want string
	}{
		{langEN, "horses", "horse"},
		{langEN, "batteries", "battery"},
		{langEN, "glass", "glass"},
		{langEN, "asbestos", "asbesto"},
		{langEN, "bus", "bus"},
		{langRU, "лошади", "лошад"},
		{langRU, "животных", "животн"},
		{langRU, "мясо", "мяс"},
		{langKK, "жануарлар", "жануар"},
		{langPT, "animais", "anim"},
		{langPT, "animal", "anim"},
	}
	for _, tt := range tests {
		if got := stemFor(tt.lang, tt.in); got != tt.want {
			t.Errorf("stemFor(%s, %q) = %q, want %q", langCodes[tt.lang], tt.in, got, tt.want)
		}
	}
}

func TestParseFunction(t *testing.T) {
	tests := []struct {
		in   string
		want Function
	}{
		{"-23-56--", FuncRail | FuncRoad | FuncPostal | FuncICD},
		{"1-------", FuncPort},
		{"---4----", FuncAirport},
		{"------7-", FuncFixedTransport},
		{"-------B", FuncBorderCrossing},
		{"1234567B", FuncPort | FuncRail | FuncRoad | FuncAirport | FuncPostal | FuncICD | FuncFixedTransport | FuncBorderCrossing},
		{"0-------", 0},
		{"--------", 0},
		{"", 0},
	}
	for _, tt := range tests {
		if got := parseFunction(tt.in); got != tt.want {
			t.Errorf("parseFunction(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestFoldTableRanges(t *testing.T) {
	for r, want := range map[rune]string{'À': "a", 'Ö': "o", 'Ø': "o", 'ß': "ss", 'ÿ': "y", 'Ā': "a", 'ı': "i", 'Ł': "l", 'ž': "z", 'ſ': "s", 'Ạ': "a", 'ỹ': "y", 'Ệ': "e", 'ự': "u"} {
		if got := foldTable[r]; got != want {
			t.Errorf("fold(%q) = %q, want %q", r, got, want)
		}
	}
}
