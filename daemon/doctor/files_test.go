package doctor

import (
	"strings"
	"testing"

	"github.com/clawbridge/clawbridge/daemon/status"
)

func TestCheckFiles(t *testing.T) {
	if got := checkFiles(nil); got != nil {
		t.Errorf("no daemon: %+v, want no check", got)
	}
	ok := checkFiles(&status.State{Files: status.FilesState{Watched: 7, Polled: 2, Open: 40, Limit: 256}})
	if len(ok) != 1 || !ok[0].OK || ok[0].Detail != "7 directories watched, 2 missing ones polled for; 40 files open of a limit of 256" {
		t.Errorf("healthy: %+v", ok)
	}
	near := checkFiles(&status.State{Files: status.FilesState{Watched: 200, Open: 230, Limit: 256}})
	if len(near) != 1 || near[0].OK || !strings.Contains(near[0].Fix, "launchctl limit maxfiles") {
		t.Errorf("near the limit: %+v, want a failure with the fix", near)
	}
}
