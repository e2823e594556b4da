package main

import (
	"reflect"
	"testing"
)

func TestAppArgs(t *testing.T) {
	const app = "/Applications/clawbridge.app/Contents/MacOS/clawbridge"
	cases := []struct {
		args []string
		exe  string
		want []string
	}{
		{nil, app, []string{"run"}},
		{[]string{"-psn_0_1234567"}, app, []string{"run"}},
		{[]string{"doctor"}, app, []string{"doctor"}},
		{[]string{"install", "--no-start"}, app, []string{"install", "--no-start"}},
		{nil, "/usr/local/bin/clawbridge", nil},
		{nil, "", nil},
		{[]string{"-psn_0_1"}, "/usr/local/bin/clawbridge", []string{"-psn_0_1"}},
	}
	for _, c := range cases {
		if got := appArgs(c.args, c.exe); !reflect.DeepEqual(got, c.want) {
			t.Errorf("appArgs(%q, %s) = %q, want %q", c.args, c.exe, got, c.want)
		}
	}
}
