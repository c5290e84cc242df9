lfd-robot 1
# lfd robot description for MuJoCo's sample humanoid (format: docs/robots.md).
#
# The model itself is not copied into lfd: it is the file Debian's
# libmujoco-samples package installs (MuJoCo 2.2.2, Apache-2.0, DeepMind;
# based on the DeepMind Control Suite humanoid, Tassa et al. 2018).
#  [S] /usr/share/mujoco/model/humanoid/humanoid.xml: joints, ranges,
#      masses, geometry; its motors have ctrlrange -1..1 and a gear, so each
#      joint's torque limit is its gear (N m) and lfd reads it from the MJCF.
#  [L] lfd's own choices, since this is not a hardware robot: velocity
#      limits (peak human joint speeds are of this order: about 10 rad/s at
#      hip and knee in fast gait, up to 20 rad/s at the shoulder and elbow in
#      throwing), PD gains (set so the PD + feed-forward controller of
#      robots/lfd_robot.h holds the default pose, tests/test_robots_stand.c)
#      and the retargeting map.
#  The default pose is the model's zero pose: standing straight, which [S]'s
#  joint springs also pull towards.

name humanoid
mjcf /usr/share/mujoco/model/humanoid/humanoid.xml
source MuJoCo sample humanoid (libmujoco-samples), torque limits from its motor gears

# joint  NAME          vel[L]   kp/kd[L]          (torque: gear of [S])
joint abdomen_z        vel=10   kp=80  kd=4
joint abdomen_y        vel=10   kp=120 kd=6
joint abdomen_x        vel=10   kp=120 kd=6
joint right_hip_x      vel=10   kp=120 kd=6
joint right_hip_z      vel=10   kp=80  kd=4
joint right_hip_y      vel=12   kp=240 kd=12
joint right_knee       vel=15   kp=200 kd=10
joint right_ankle_y    vel=15   kp=60  kd=3
joint right_ankle_x    vel=15   kp=60  kd=3
joint left_hip_x       vel=10   kp=120 kd=6
joint left_hip_z       vel=10   kp=80  kd=4
joint left_hip_y       vel=12   kp=240 kd=12
joint left_knee        vel=15   kp=200 kd=10
joint left_ankle_y     vel=15   kp=60  kd=3
joint left_ankle_x     vel=15   kp=60  kd=3
joint right_shoulder1  vel=20   kp=40  kd=2
joint right_shoulder2  vel=20   kp=40  kd=2
joint right_elbow      vel=20   kp=40  kd=2
joint left_shoulder1   vel=20   kp=40  kd=2
joint left_shoulder2   vel=20   kp=40  kd=2
joint left_elbow       vel=20   kp=40  kd=2

# feet: each foot is two capsules (radius 0.027) along x from -0.07 to 0.14;
# the sole rectangle spans their axes, the sole plane is one radius down
foot left  body=left_foot   sole=-0.07,0.14,-0.02,0.04  z=-0.027
foot right body=right_foot  sole=-0.07,0.14,-0.04,0.02  z=-0.027
hand left  body=left_hand   offset=0,0,0
hand right body=right_hand  offset=0,0,0

# no extra exclusions: parent/child pairs are excluded automatically

# retargeting map.  The humanoid's root body is its chest ("torso"); the
# human pelvis drives its pelvis body.  The arm bodies' frames are
# world-aligned but the limbs point diagonally, so arms use positions only.
map pelvis      body=pelvis           pos_w=1.0  rot_w=1.0
map chest       body=torso            pos_w=0.3  rot_w=0.5
map head        body=head             pos_w=0.1  rot_w=0.0
map l_hip       body=left_thigh       pos_w=0.5  rot_w=0.0
map r_hip       body=right_thigh      pos_w=0.5  rot_w=0.0
map l_knee      body=left_shin        pos_w=1.0  rot_w=0.0   offset=0,0,0.02
map r_knee      body=right_shin       pos_w=1.0  rot_w=0.0   offset=0,0,0.02
map l_ankle     body=left_foot        pos_w=1.0  rot_w=0.3   offset=0,0,0.08
map r_ankle     body=right_foot       pos_w=1.0  rot_w=0.3   offset=0,0,0.08
map l_toe       body=left_foot        pos_w=0.5  rot_w=0.0   offset=0.14,0.01,0
map r_toe       body=right_foot       pos_w=0.5  rot_w=0.0   offset=0.14,-0.01,0
map l_shoulder  body=left_upper_arm   pos_w=0.5  rot_w=0.0
map r_shoulder  body=right_upper_arm  pos_w=0.5  rot_w=0.0
map l_elbow     body=left_lower_arm   pos_w=1.0  rot_w=0.0
map r_elbow     body=right_lower_arm  pos_w=1.0  rot_w=0.0
map l_wrist     body=left_hand        pos_w=1.0  rot_w=0.0
map r_wrist     body=right_hand       pos_w=1.0  rot_w=0.0
