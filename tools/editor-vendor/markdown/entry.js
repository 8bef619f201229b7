// What editor-static/vendor/markdown.min.js exports: the Markdown parser and
// the HTML sanitizer. The rule that joins them lives in the editor's own
// js/ui/markdown.js.
export { marked } from "marked";
export { default as DOMPurify } from "dompurify";
