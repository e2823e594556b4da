package shellquote

import (
	"os/exec"
	"strings"
	"testing"
)

// TestJoinSurvivesARealShell runs the quoted words through sh -c and
// checks every argument arrives as it was: $ and backquotes do not
// expand, quotes and spaces stay inside their word.
func TestJoinSurvivesARealShell(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err) // every Unix CI has sh
	}
	words := []string{
		"/usr/bin/node",
		"/home/a b/$HOME/`id`/$(id)/it's/\"quoted\"/back\\slash/dist/index.js",
		"tui",
		"",
		"'",
		"plain-word_1.2/x:y=z@h+,",
	}
	// printf prints each argument on its own line, ending with a marker
	// so that an empty last argument is seen too.
	out, err := exec.Command(sh, "-c", "printf '%s\\n' "+Join(words)+"; echo END").Output()
	if err != nil {
		t.Fatalf("sh -c: %v", err)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "END\n"), "\n")
	got = got[:len(got)-1] // the newline after the last argument
	if strings.Join(got, "\x00") != strings.Join(words, "\x00") {
		t.Errorf("through sh -c the words became\n%q\nwant\n%q\n(command: %s)", got, words, Join(words))
	}
}

func TestJoinLeavesPlainWords(t *testing.T) {
	got := Join([]string{"/Applications/clawbridge.app/Contents/MacOS/clawbridge", "run", "--config", "/Users/a b/it's.yaml", ""})
	want := `/Applications/clawbridge.app/Contents/MacOS/clawbridge run --config '/Users/a b/it'\''s.yaml' ''`
	if got != want {
		t.Errorf("Join = %s, want %s", got, want)
	}
}
