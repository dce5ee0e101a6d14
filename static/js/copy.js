// A button with data-copy="ID" copies the text of the element ID, and says so.
document.querySelectorAll("button[data-copy]").forEach(function (button) {
  const label = button.textContent;
  button.addEventListener("click", function () {
    const text = document.getElementById(button.dataset.copy).textContent;
    const done = function () { button.textContent = "Copied ✔"; setTimeout(function () { button.textContent = label; }, 2000); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done);
    } else {  // plain http: select the text and copy it the old way
      const range = document.createRange();
      range.selectNodeContents(document.getElementById(button.dataset.copy));
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      document.execCommand("copy");
      done();
    }
  });
});
