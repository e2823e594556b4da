package patcher

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// pluginManifestRel is the anthropic plugin's manifest inside an OpenClaw
// package (2026.5.27 and later). Its modelCatalog lists the Anthropic
// models the release offers; from 2026.5.28 on there is no pi-ai catalog
// beside it.
var pluginManifestRel = filepath.Join("dist", "extensions", "anthropic", "openclaw.plugin.json")

// CatalogModelIDs lists the Anthropic model ids in offers: the anthropic
// models of every pi-ai catalog it loads (Install.Catalogs) and of the
// anthropic plugin's modelCatalog (models[].id and defaultUtilityModel),
// each once, in that order. These are the names the app may send
// clawbridge, so the doctor checks that each one routes. An install
// shipping neither gives an error, as does a catalog that does not parse;
// the ids read elsewhere come with it.
func CatalogModelIDs(in Install) ([]string, error) {
	var ids []string
	var errs []error
	add := func(more []string) {
		for _, id := range more {
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	sources := 0
	for _, t := range in.Catalogs() {
		sources++
		src, err := os.ReadFile(t.File)
		if err != nil {
			errs = append(errs, fmt.Errorf("read %s: %w", t.File, err))
			continue
		}
		got, err := t.Format.modelIDs(src)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", t.File, err))
			continue
		}
		add(got)
	}
	manifest := filepath.Join(in.RealDir, pluginManifestRel)
	switch data, err := os.ReadFile(manifest); {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		sources++
		errs = append(errs, fmt.Errorf("read %s: %w", manifest, err))
	default:
		got, err := pluginModelIDs(data)
		if err != nil {
			sources++
			errs = append(errs, fmt.Errorf("%s: %w", manifest, err))
		} else if len(got) > 0 {
			sources++
			add(got)
		}
	}
	if sources == 0 {
		errs = append(errs, fmt.Errorf("%s: no pi-ai catalog and no modelCatalog in %s", in, manifest))
	}
	return ids, errors.Join(errs...)
}

// modelIDs lists the ids of the anthropic provider's models in a catalog
// of format f, in file order.
func (f Format) modelIDs(src []byte) ([]string, error) {
	var models []objMember
	switch f {
	case ModelsJS, ProviderModelsJS:
		name := "MODELS"
		if f == ProviderModelsJS {
			name = "ANTHROPIC_MODELS"
		}
		_, obj, err := parseExport(src, name)
		if err != nil {
			return nil, err
		}
		models = obj.members
		if f == ModelsJS {
			prov := obj.member("anthropic")
			if prov == nil || prov.value.obj == nil {
				return nil, fmt.Errorf("%w: no anthropic provider", ErrNotCatalog)
			}
			models = prov.value.obj.members
		}
	case ProviderJSON:
		_, top, err := parseJSONObject(src)
		if err != nil {
			return nil, err
		}
		for _, api := range providerJSONGroups(top) {
			if api.value.obj != nil {
				models = append(models, api.value.obj.members...)
			}
		}
	default:
		return nil, fmt.Errorf("%w: unknown format %d", ErrNotCatalog, int(f))
	}
	var ids []string
	for _, m := range models {
		fields := m.value.obj
		if fields == nil || fields.str("provider") != "anthropic" {
			continue
		}
		id := fields.str("id")
		if id == "" {
			id = m.key
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("%w: no model of provider anthropic", ErrNotCatalog)
	}
	return ids, nil
}

// pluginModelIDs reads the anthropic plugin manifest's
// modelCatalog.providers.anthropic: the models' ids, then
// defaultUtilityModel. A manifest without a modelCatalog (2026.5.7's)
// gives none.
func pluginModelIDs(data []byte) ([]string, error) {
	var m struct {
		ModelCatalog *struct {
			Providers map[string]struct {
				DefaultUtilityModel string `json:"defaultUtilityModel"`
				Models              []struct {
					ID string `json:"id"`
				} `json:"models"`
			} `json:"providers"`
		} `json:"modelCatalog"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("plugin manifest: %w", err)
	}
	if m.ModelCatalog == nil {
		return nil, nil
	}
	var ids []string
	p := m.ModelCatalog.Providers["anthropic"]
	for _, model := range p.Models {
		if model.ID != "" && !slices.Contains(ids, model.ID) {
			ids = append(ids, model.ID)
		}
	}
	if p.DefaultUtilityModel != "" && !slices.Contains(ids, p.DefaultUtilityModel) {
		ids = append(ids, p.DefaultUtilityModel)
	}
	return ids, nil
}
