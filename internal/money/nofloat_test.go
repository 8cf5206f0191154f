package money

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Money must never pass through binary floating point, not even in a
// helper or a log line. This guard fails the build of anyone who adds one.
func TestNoFloatsInPackageSources(t *testing.T) {
	floaty := regexp.MustCompile(`float32|float64|big\.Float|ParseFloat|FormatFloat|AppendFloat|math\.Float`)
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for i, line := range strings.Split(string(src), "\n") {
			if loc := floaty.FindString(line); loc != "" {
				t.Errorf("%s:%d uses %s: money code must not use floating point", name, i+1, loc)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no package sources found; is the test running in the package directory?")
	}
}
