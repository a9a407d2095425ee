// The dashboard's built files, served by the API process. Until the dashboard issue lands this
// is a static placeholder page.
export const webRoot = new URL('./public/', import.meta.url);
