/** The message catalogue: pick a language, look a key up, fill in {placeholders}. */
import { createContext, useContext } from 'react';
import { en, type MessageKey } from './en.ts';
import { es } from './es.ts';

export type Lang = 'en' | 'es';
export const LANGS: readonly { id: Lang; name: string }[] = [
  { id: 'en', name: 'English' },
  { id: 'es', name: 'Español' },
];
const CATALOGUES: Record<Lang, Record<MessageKey, string>> = { en, es };

export type Params = Readonly<Record<string, string | number>>;
export type Translate = (key: MessageKey, params?: Params) => string;

export function translator(lang: Lang): Translate {
  const cat = CATALOGUES[lang];
  return (key, params) => {
    const text = cat[key];
    if (params === undefined) return text;
    return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
  };
}

export function initialLang(stored: string | null, browser: string | undefined): Lang {
  if (stored === 'en' || stored === 'es') return stored;
  return browser?.toLowerCase().startsWith('es') === true ? 'es' : 'en';
}

export interface I18n {
  lang: Lang;
  t: Translate;
  setLang(lang: Lang): void;
}
export const I18nContext = createContext<I18n>({ lang: 'en', t: translator('en'), setLang: () => {} });
export const useI18n = (): I18n => useContext(I18nContext);
export type { MessageKey };
