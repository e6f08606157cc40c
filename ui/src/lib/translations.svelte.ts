// A template's translations as the designer keeps them: the set the core says (every local
// template of its name), and the drafts known to be its translations, which a new name is saved on.
import { SvelteSet } from 'svelte/reactivity';
import { api, type Draft, type Template, type TranslationSet, type TranslationView } from './api';

export class Translations {
  /** The translations (the one in the designer among them), the first made first. */
  set = $state<TranslationSet | null>(null);
  /** Only these are renamed with the template, so that a name typed on the way (that of another
   * template) joins nothing to it. */
  #members = new SvelteSet<string>();

  /** The translations other than `id`. */
  others(id: string | null): TranslationView[] {
    return this.set?.translations.filter((x) => x.draft.id !== id) ?? [];
  }

  /** Loads the translations of `id`'s template (those first found are its members). */
  async load(id: string): Promise<void> {
    this.set = await api.templateTranslations(id);
    if (this.#members.size === 0) for (const x of this.set.translations) this.#members.add(x.draft.id);
    this.#members.add(id);
  }

  /** Saves the template `id` (null: a new one), giving its name to its other translations in the
   * same save, so that they stay one template even when a save fails. */
  save(id: string | null, template: Template): Promise<Draft> {
    const rename = this.others(id).filter((x) => this.#members.has(x.draft.id) && x.draft.template.name !== template.name);
    return api.saveTemplate(id, template, rename.map((x) => x.draft.id));
  }
}
