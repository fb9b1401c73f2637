// Light or dark: the system's unless the visitor chose, and the choice kept in localStorage.

const THEME_KEY = "trainfit-theme";

/** Applies `system`, `light` or `dark`. */
export function applyTheme(choice: string): void {
  if (choice === "light" || choice === "dark") document.documentElement.dataset.theme = choice;
  else delete document.documentElement.dataset.theme;
}

/** The stored choice, `system` when none (or when storage is refused). */
export function storedTheme(): string {
  try {
    return localStorage.getItem(THEME_KEY) ?? "system";
  } catch {
    return "system";
  }
}

/** Keeps a choice. */
export function storeTheme(choice: string): void {
  try {
    localStorage.setItem(THEME_KEY, choice);
  } catch {
    // Storage refused (a private window): the choice lasts until the page closes.
  }
}
