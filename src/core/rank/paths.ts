// What a file's path says about the code in it: a test, translation data, an example. The second
// stage learns how much each weighs; these only say which is which.

export interface PathRole {
  /** Tests, specs, mocks, fixtures, stories, benchmarks' harnesses. */
  test: boolean;
  /** Locale and translation data. */
  locale: boolean;
  /** Examples, samples, demos and documentation. */
  example: boolean;
}

const TEST_FOLDER = /(?:^|\/)(?:tests?|__tests__|__mocks__|specs?|testing|testdata|test-data|e2e|fixtures?|mocks?|stubs?|stories|__snapshots__|src\/test)\//i;
const TEST_FILE = /(?:^|\/)(?:test_[^/]*\.py|[^/]*_test\.(?:py|go|rb|rs|c|cc|cpp)|[^/]*[._-](?:test|tests|spec|specs|stories|story|mock|mocks|fixture|fixtures|e2e)\.[a-z]+|[^/]*(?:Test|Tests|Spec|IT)\.(?:java|cs|kt|scala|php)|conftest\.py)$/;
const LOCALE = /(?:^|\/)(?:locales?|i18n|l10n|translations?|lang|langs|messages)\/|\.(?:po|pot|xlf|xliff|resx|strings)$|(?:^|\/)[a-z]{2}(?:[-_][A-Z]{2})?\.(?:json|ya?ml|properties)$/;
const EXAMPLE = /(?:^|\/)(?:examples?|samples?|demos?|docs?|documentation|tutorials?|playground)\//i;

export function pathRole(path: string): PathRole {
  return { test: TEST_FOLDER.test(path) || TEST_FILE.test(path), locale: LOCALE.test(path), example: EXAMPLE.test(path) };
}
