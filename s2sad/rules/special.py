"""scipy.special's functions of real arguments (expit, logit, erf, gamma, digamma, xlogy, softmax, ...): scipy is
optional, so these rules name it only; the runtime imports it when a derivative is computed.
"""
