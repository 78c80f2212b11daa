// The import map of the pages in web/ (index.html, test.html), kept in one place: the compiled modules
// import these two packages by name, and both ship ES modules. Browsers read no import map from a file,
// so this classic script, which runs before the page's module scripts load, puts one in the page.
document.currentScript.after(
  Object.assign(document.createElement('script'), {
    type: 'importmap',
    textContent: JSON.stringify({
      imports: {
        fflate: '../node_modules/fflate/esm/browser.js',
        'nifti-reader-js': '../node_modules/nifti-reader-js/dist/nifti.js',
      },
    }),
  }),
);
