package testenv

import "testing"

func TestTruthy(t *testing.T) {
	for v, want := range map[string]bool{
		"1": true, "true": true, "TRUE": true, "True": true, "yes": true, "Yes": true, " true\n": true,
		"": false, "0": false, "false": false, "no": false, "off": false, "2": false, "truthy": false,
	} {
		if got := Truthy(v); got != want {
			t.Errorf("Truthy(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestCIReadsTheEnvironment(t *testing.T) {
	t.Setenv(EnvCI, "yes")
	if !CI() {
		t.Fatal("CI=yes is not CI")
	}
	t.Setenv(EnvCI, "0")
	if CI() {
		t.Fatal("CI=0 is CI")
	}
}
