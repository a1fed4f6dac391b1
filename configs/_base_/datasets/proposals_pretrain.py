# Unlabelled images + unsupervised proposals (tools/generate_proposals.py): the two views
# carry the pseudo boxes through crop/flip/resize, keeping box identity across views.
_base_ = ['pixpro_pretrain.py']
proposals_file = 'proposals/train2017_ss.json'  # relative to data_root
train_dataloader = dict(dataset=dict(proposals_file=proposals_file))
