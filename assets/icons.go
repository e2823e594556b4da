package assets

import (
	"embed"
	"fmt"
)

//go:generate go run ./icons/gen -out icons

// TrayIcon is one state of the menu-bar icon in each form a platform takes,
// drawn by icons/gen so every size comes from the same description.
type TrayIcon struct {
	// PNG and PNG2x are the coloured icon (22 and 44 px) for Linux panels,
	// which show it as drawn.
	PNG, PNG2x []byte
	// Template and Template2x are black on transparent (16 and 32 px) for
	// macOS's SetTemplateIcon, which recolours them to match the menu bar.
	Template, Template2x []byte
	// ICO holds the coloured icon at 16, 32 and 48 px for Windows, whose
	// tray only loads .ico files.
	ICO []byte
}

// The tray icon's three states: everything works, something needs the
// user's attention (a backend down, a patch failed, the guard restored the
// auth profile), and the translator switched off.
var (
	TrayGood      = trayIcon("good")
	TrayAttention = trayIcon("attention")
	TrayOff       = trayIcon("off")
)

// AppIcon1024 is the 1024 px application icon the packaging turns into an
// .icns (macOS) and other platforms' icons.
//
//go:embed icons/app-1024.png
var AppIcon1024 []byte

//go:embed icons/*.png icons/*.ico
var icons embed.FS

func trayIcon(state string) TrayIcon {
	read := func(name string) []byte {
		b, err := icons.ReadFile("icons/tray-" + state + name)
		if err != nil {
			// The names are fixed and the files embedded at build time, so
			// this is a broken checkout, not a runtime condition.
			panic(fmt.Sprintf("assets: tray icon %s%s missing (run go generate ./assets): %v", state, name, err))
		}
		return b
	}
	return TrayIcon{
		PNG:        read(".png"),
		PNG2x:      read("@2x.png"),
		Template:   read("-template.png"),
		Template2x: read("-template@2x.png"),
		ICO:        read(".ico"),
	}
}
